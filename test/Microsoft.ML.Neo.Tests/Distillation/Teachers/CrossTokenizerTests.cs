using Microsoft.ML.Neo.Server;
using Microsoft.ML.Neo.Tests.MLNet;

namespace Microsoft.ML.Neo.Tests.Distillation.Teachers;

/// <summary>
/// Logit KD from a teacher with another tokenizer, through the whole run: a byte-level BPE teacher (Llama 3's layout)
/// and the embedded SentencePiece student.
/// </summary>
[TestClass]
public sealed class CrossTokenizerTests
{
    private const int TopK = 16;

    private static List<TrainingProgress> Fit(NeoDistillOptions options, int rows = 8) => TrainingRows.FitSteps(options, rows);

    /// <summary>A random teacher (hidden 64) whose tokenizer is byte-level BPE: bytes, a few merges, two specials.</summary>
    private static string ByteLevelTeacher(string directory)
    {
        var (json, ids) = TinyTokenizerFiles.ByteLevelJson(new[] { "Ġ t", "h e", "t he", "Ġt he", "Ġ 1", "Ġ a", "a n", "Ġa n" }, new[] { "<|begin_of_text|>", "<|end_of_text|>" });
        var config = TinyCheckpoints.Config(hidden: 64, layers: 2, context: 512, vocab: ids.Count) with
        {
            BosTokenId = ids["<|begin_of_text|>"], EosTokenId = ids["<|end_of_text|>"], EosTokenIds = new[] { ids["<|end_of_text|>"] },
        };
        TinyCheckpoints.Create(directory, config, seed: 32, withTokenizer: false);
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), json);
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"),
            """{"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>", "add_bos_token": true}""");
        return directory;
    }

    [TestMethod]
    public void WithTheSameTokenizerTheHybridLossIsTheSameTokenizerLoss()
    {
        using var fixture = new DistillFixture();
        var same = fixture.Options();
        same.TeacherScoreTopK = TopK;
        same.TeacherCacheDirectory = fixture.Sub("cache");
        same.TeacherCacheEncoding = TeacherCacheEncoding.Exact;
        var expected = Fit(same);
        var cross = fixture.Options();
        cross.TeacherScoreTopK = TopK;
        cross.CrossTokenizer = CrossTokenizerLoss.Hybrid;
        var actual = Fit(cross);
        Assert.AreEqual(expected.Count, actual.Count);
        for (int step = 0; step < expected.Count; step++)
        {
            Assert.AreEqual(expected[step].Divergence, actual[step].Divergence, 1e-5 * Math.Max(1, expected[step].Divergence), $"KD term of step {step + 1}");
            Assert.AreEqual(expected[step].CrossEntropy, actual[step].CrossEntropy, 1e-5, $"CE term of step {step + 1}");
        }
    }

    [TestMethod]
    public void AByteLevelTeacherTeachesASentencePieceStudentOnlyWhenAskedTo()
    {
        using var fixture = new DistillFixture(context: 512);
        string teacher = ByteLevelTeacher(fixture.Sub("byte-level-teacher"));
        var refused = fixture.Options();
        refused.Teacher = new TeacherModel(teacher);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Fit(refused));
        StringAssert.Contains(e.Message, "CrossTokenizer = Hybrid");

        var results = new Dictionary<CrossTokenizerLoss, List<TrainingProgress>>();
        foreach (var loss in new[] { CrossTokenizerLoss.Hybrid, CrossTokenizerLoss.Uld })
        {
            var options = fixture.Options();
            options.Teacher = new TeacherModel(teacher);
            options.TeacherScoreTopK = TopK;
            options.CrossTokenizer = loss;
            results[loss] = Fit(options);
            Assert.IsTrue(results[loss].All(p => double.IsFinite(p.Loss) && p.Divergence > 0), $"{loss}: a finite, positive KD term at every step");
        }
        Assert.AreNotEqual(results[CrossTokenizerLoss.Hybrid][0].Divergence, results[CrossTokenizerLoss.Uld][0].Divergence, "the two losses differ");

        // Hybrid with ULD weighted 0 trains only the positions where both sides emit the same token: a smaller KD term.
        var sameTokenOnly = fixture.Options();
        sameTokenOnly.Teacher = new TeacherModel(teacher);
        sameTokenOnly.TeacherScoreTopK = TopK;
        sameTokenOnly.CrossTokenizer = CrossTokenizerLoss.Hybrid;
        sameTokenOnly.UldWeight = 0;
        Assert.IsTrue(Fit(sameTokenOnly)[0].Divergence < results[CrossTokenizerLoss.Hybrid][0].Divergence);
    }

    [TestMethod]
    [TestCategory(TestCategories.Integration)]
    public async Task AServedTeacherWithAnotherTokenizerTeachesAsTheLocalOne()
    {
        using var fixture = new DistillFixture(context: 512);
        string teacher = ByteLevelTeacher(fixture.Sub("byte-level-teacher"));
        var local = fixture.Options();
        local.Teacher = new TeacherModel(teacher);
        local.TeacherScoreTopK = TopK;
        local.CrossTokenizer = CrossTokenizerLoss.Hybrid;
        local.TeacherCacheDirectory = fixture.Sub("local-cache");
        local.TeacherCacheEncoding = TeacherCacheEncoding.Exact;
        var expected = Fit(local);

        await using var server = await NeoServer.StartAsync(new NeoServerOptions { ModelPath = teacher, Port = 0, ModelId = "teacher", MaxLogprobs = TopK });
        var served = fixture.Options();
        served.Teacher = new TeacherEndpoint { Url = server.BaseAddress.ToString(), Model = "teacher", TokenizerPath = teacher };
        served.TeacherScoreTopK = TopK;
        served.CrossTokenizer = CrossTokenizerLoss.Hybrid;
        served.TeacherCacheDirectory = fixture.Sub("served-cache");
        served.TeacherCacheEncoding = TeacherCacheEncoding.Exact;
        var actual = Fit(served);
        Assert.AreEqual(expected.Count, actual.Count);
        for (int step = 0; step < expected.Count; step++)
            Assert.AreEqual(expected[step].Divergence, actual[step].Divergence, 1e-4 * Math.Max(1, expected[step].Divergence), $"KD term of step {step + 1}");
        Assert.IsTrue(server.Statistics.Completions > 0, "the server scored the teacher's tokens");
    }

    [TestMethod]
    public void CrossTokenizerKdWorksWithPrimingOnPolicySamplesAndTeacherWrittenResponses()
    {
        using var fixture = new DistillFixture(context: 512);
        string teacher = ByteLevelTeacher(fixture.Sub("byte-level-teacher"));
        NeoDistillOptions Options()
        {
            var options = fixture.Options();
            options.Teacher = new TeacherModel(teacher);
            options.TeacherScoreTopK = TopK;
            options.CrossTokenizer = CrossTokenizerLoss.Hybrid;
            options.MaxSteps = 1;
            return options;
        }
        var plain = Fit(Options())[0].Divergence;

        var primed = Options();
        primed.Priming = PrimingStrategy.Teacher; // the teacher's prompt, re-tokenized by its tokenizer
        Assert.AreNotEqual(plain, Fit(primed)[0].Divergence, "the primed teacher teaches something else");

        var onPolicy = Options();
        onPolicy.OnPolicyFraction = 1; // the student's samples, re-tokenized for the teacher
        onPolicy.OnPolicyMaxNewTokens = 8;
        var sampled = Fit(onPolicy);
        Assert.IsTrue(sampled[0].Divergence > 0 && double.IsFinite(sampled[0].Loss));

        var written = Options();
        written.Mode = DistillationMode.Sequence; // the teacher writes in its tokens; the student learns them in its own
        written.TeacherMaxNewTokens = 8;
        written.TeacherCacheDirectory = fixture.Sub("cache");
        var fromResponses = Fit(written);
        Assert.IsTrue(fromResponses[0].Divergence > 0 && double.IsFinite(fromResponses[0].Loss));
    }

    [TestMethod]
    public void TextLevelSequenceKdLearnsAByteLevelTeachersResponsesInTheStudentsTokens()
    {
        using var fixture = new DistillFixture(context: 512);
        string teacher = ByteLevelTeacher(fixture.Sub("byte-level-teacher"));
        var sequence = fixture.Options();
        sequence.Teacher = new TeacherModel(teacher); // no CrossTokenizer: no logit of the teacher is read
        sequence.Mode = DistillationMode.Sequence;
        sequence.KdWeight = 0;
        sequence.TeacherMaxNewTokens = 6;
        var fromTeacher = Fit(sequence);

        // The same student fine-tuned on the teacher's responses as text (written here by the teacher itself) takes the
        // same steps: the responses reached the student whole, in its own tokens, not cut at the first teacher id.
        var ml = new MLContext(seed: 1);
        var rows = TrainingRows.Make(8);
        using (var model = CausalLM.FromPretrained(teacher))
        {
            var written = model.Generate(rows.Select(r => r.Prompt).ToList(), new GenerationOptions { MaxNewTokens = 6 });
            for (int i = 0; i < rows.Count; i++) rows[i].Response = written[i];
        }
        Assert.IsTrue(rows.Any(r => r.Response.Length > 0), "the teacher wrote something");
        var tuned = fixture.Options();
        tuned.KdWeight = 0;
        var recorder = new ProgressRecorder();
        tuned.Progress = recorder;
        using (ml.Transforms.NeoDistill(tuned).Fit(ml.Data.LoadFromEnumerable(rows))) { }
        Assert.AreEqual(recorder.Reports.Count, fromTeacher.Count);
        for (int step = 0; step < fromTeacher.Count; step++)
            Assert.AreEqual(recorder.Reports[step].CrossEntropy, fromTeacher[step].CrossEntropy, 1e-5, $"CE of step {step + 1}");
    }

    [TestMethod]
    public void TheOptionsAreValidated()
    {
        var options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", CrossTokenizer = CrossTokenizerLoss.Hybrid, UldWeight = -1 };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate).Message, "between 0 and 100");
        options.UldWeight = 1;
        options.Validate();
        options.Teacher = new SelfTeacher();
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "Set CrossTokenizer = None");
    }
}
