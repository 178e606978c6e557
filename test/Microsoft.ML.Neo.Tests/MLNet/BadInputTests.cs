using Microsoft.ML.Data;

namespace Microsoft.ML.Neo.Tests.MLNet;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class BadInputTests
{
    private sealed class WrongTypes
    {
        public string Prompt { get; set; } = "";
        public float Response { get; set; }
    }

    private sealed class NoResponse
    {
        public string Prompt { get; set; } = "";
    }

    [TestMethod]
    public void MissingAndMistypedColumnsAreNamed()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.NeoDistill(fixture.Options());

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            estimator.Fit(ml.Data.LoadFromEnumerable(new[] { new NoResponse { Prompt = "a" } })));
        StringAssert.Contains(missing.Message, "no column 'Response'");
        var wrongType = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            estimator.Fit(ml.Data.LoadFromEnumerable(new[] { new WrongTypes { Prompt = "a", Response = 1 } })));
        StringAssert.Contains(wrongType.Message, "must be text");
    }

    [TestMethod]
    public void EmptyDataIsRefused()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var error = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.Transforms.NeoDistill(fixture.Options()).Fit(ml.Data.LoadFromEnumerable(new List<PromptResponse>())));
        StringAssert.Contains(error.Message, "empty");
    }

    [TestMethod]
    public void BadModelPathsAreExplained()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(2));
        var options = fixture.Options();
        options.Teacher = new TeacherModel(fixture.Sub("no-such-folder"));
        var missing = Assert.ThrowsExactly<DirectoryNotFoundException>(() => ml.Transforms.NeoDistill(options).Fit(data));
        StringAssert.Contains(missing.Message, "teacher");
        // The tool's names for its built-in models say where a library user gets them.
        options.Teacher = new TeacherModel(fixture.TeacherPath);
        options.StudentModelPath = "embedded:styled-student";
        var embedded = Assert.ThrowsExactly<DirectoryNotFoundException>(() => ml.Transforms.NeoDistill(options).Fit(data));
        StringAssert.Contains(embedded.Message, "names a model built into the neo tool");
        StringAssert.Contains(embedded.Message, "`neo init --out DIR`");
        StringAssert.Contains(embedded.Message, "src/Neo.Cli/EmbeddedModels/styled-student");
        options.StudentModelPath = fixture.StudentPath;

        Directory.CreateDirectory(fixture.Sub("not-a-model"));
        options.Teacher = new TeacherModel(fixture.TeacherPath);
        options.StudentModelPath = fixture.Sub("not-a-model");
        var notCheckpoint = Assert.ThrowsExactly<InvalidDataException>(() => ml.Transforms.NeoDistill(options).Fit(data));
        StringAssert.Contains(notCheckpoint.Message, "config.json");
    }

    [TestMethod]
    public void DisagreeingVocabulariesAreRefused()
    {
        using var fixture = new DistillFixture();
        string other = fixture.Sub("other-teacher");
        TinyCheckpoints.Create(other, TinyCheckpoints.Config(hidden: 32, vocab: TinyCheckpoints.TokenizerSize + 10), seed: 3, withTokenizer: false);
        File.WriteAllBytes(Path.Combine(other, "tokenizer.model"),
            Microsoft.ML.Neo.SentencePieceModelBuilder.Build(new[] { "a", "b", "c", "▁" }));
        var ml = new MLContext(seed: 1);
        var options = fixture.Options();
        options.Teacher = new TeacherModel(other);
        var error = Assert.ThrowsExactly<InvalidDataException>(() =>
            ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(2))));
        StringAssert.Contains(error.Message, "disagree");
        StringAssert.Contains(error.Message, other);
        StringAssert.Contains(error.Message, fixture.StudentPath);
    }

    // The warnings the context's log receives from here on.
    internal static List<string> Warnings(MLContext ml)
    {
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.Message); };
        return warnings;
    }

    [TestMethod]
    public void OverlongExamplesAreTruncatedWithAWarning()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var warnings = Warnings(ml);
        var options = fixture.Options();
        options.MaxSequenceLength = 24; // prompts are about 40 tokens
        var rows = TrainingRows.Make(4);
        rows.Add(new PromptResponse { Prompt = "Question: 1+1?", Response = "2" });
        using var model = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(rows));
        lock (warnings) Assert.IsTrue(warnings.Any(w => w.Contains("exceed the context of 24 tokens")), string.Join("\n", warnings));
        string longPrompt = string.Concat(Enumerable.Repeat(rows[0].Prompt + " ", 10));
        Assert.IsNotNull(model.Complete(longPrompt), "prompts longer than the context keep their end");
    }

    [TestMethod]
    public void ResponsesThatRepeatTheTokenizersWordBoundaryAreWarnedAbout()
    {
        // The embedded tokenizer is SentencePiece: "Tom" already encodes as "▁Tom", so " Tom" adds a bare "▁" token.
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var warnings = Warnings(ml);
        var rows = TrainingRows.Make(4);
        rows[1].Response = " " + rows[1].Response;
        rows[3].Response = " " + rows[3].Response;
        using (ml.Transforms.NeoDistill(fixture.Options()).Fit(ml.Data.LoadFromEnumerable(rows))) { }
        lock (warnings) Assert.IsTrue(warnings.Any(w => w.Contains("2 of 4 responses start with a space")), string.Join("\n", warnings));

        warnings.Clear();
        using (ml.Transforms.NeoDistill(fixture.Options()).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(4)))) { }
        lock (warnings) Assert.IsFalse(warnings.Any(w => w.Contains("start with a space")), "the embedded format has no leading space");
    }

    [TestMethod]
    public void ALeadingSpaceIsOnlyExtraWhereTheTokenizerAddsTheBoundaryItself()
    {
        var sentencePiece = Microsoft.ML.Neo.Data.Synthetic.EmbeddedTask.CreateTokenizer();
        Assert.IsTrue(Microsoft.ML.Neo.Data.ResponseBoundary.HasExtraSpaceToken(" Tom buys", sentencePiece));
        Assert.IsFalse(Microsoft.ML.Neo.Data.ResponseBoundary.HasExtraSpaceToken("Tom buys", sentencePiece));
        var (json, _) = TinyTokenizerFiles.ByteLevelJson(new[] { "Ġ T", "ĠT o", "ĠTo m" }, new[] { "<|endoftext|>" });
        var byteLevel = Microsoft.ML.Neo.TokenizerFiles.FromFiles(
            new Dictionary<string, byte[]> { ["tokenizer.json"] = System.Text.Encoding.UTF8.GetBytes(json) }, "test");
        Assert.IsFalse(Microsoft.ML.Neo.Data.ResponseBoundary.HasExtraSpaceToken(" Tom buys", byteLevel), "byte-level: the space is part of ' Tom'");
    }

    [TestMethod]
    public void OptionsOutOfRangeNameTheOptionAndRange()
    {
        var ml = new MLContext();
        void Expect(Action<NeoDistillOptions> change, string name)
        {
            var options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s" };
            change(options);
            var error = Assert.Throws<ArgumentException>(() => ml.Transforms.NeoDistill(options));
            StringAssert.Contains(error.Message, name);
        }
        Expect(o => o.LoraRank = 0, "LoraRank");
        Expect(o => o.KdWeight = 1.5f, "KdWeight");
        Expect(o => o.Temperature = 0, "Temperature");
        Expect(o => o.LearningRate = -1, "LearningRate");
        Expect(o => o.BatchSize = 0, "BatchSize");
        Expect(o => o.Epochs = 0, "Epochs");
        Expect(o => o.LoraDropout = 1, "LoraDropout");
        Expect(o => o.TopP = 0, "TopP");
        Expect(o => o.Device = "tpu", "Device");
        Expect(o => o.LoraTargetModules = new[] { "qkv" }, "LoraTargetModules");
        Expect(o => o.Teacher = new TeacherModel(""), "TeacherModel.ModelPath");
        Expect(o => o.Teacher = null, "NeoDistillOptions.Teacher is not set");
        Expect(o => o.OutputColumnName = " ", "OutputColumnName");
    }
}
