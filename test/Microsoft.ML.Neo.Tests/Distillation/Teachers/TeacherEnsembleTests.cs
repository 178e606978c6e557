using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Tests.MLNet;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation.Teachers;

/// <summary>Several teachers: a weighted mixture of their distributions, or each row routed to the teacher it names.</summary>
[TestClass]
public sealed class TeacherEnsembleTests
{
    private const int TopK = 16;

    private static List<TrainingProgress> Fit(NeoDistillOptions options, int rows = 8) => TrainingRows.FitSteps(options, rows);

    [TestMethod]
    public void AMixtureOfTwoIdenticalTeachersIsOneTeacher()
    {
        using var fixture = new DistillFixture();
        var one = fixture.Options();
        one.TeacherScoreTopK = TopK;
        one.TeacherCacheDirectory = fixture.Sub("cache");
        one.TeacherCacheEncoding = TeacherCacheEncoding.Exact;
        var expected = Fit(one);

        var two = fixture.Options();
        two.TeacherScoreTopK = TopK;
        two.Teacher = new TeacherMixture
        {
            Members =
            {
                new() { Name = "first", ModelPath = fixture.TeacherPath, Weight = 3 },
                new() { Name = "second", ModelPath = fixture.TeacherPath, Weight = 1 },
            },
        };
        var actual = Fit(two);
        Assert.AreEqual(expected.Count, actual.Count);
        for (int step = 0; step < expected.Count; step++)
            Assert.AreEqual(expected[step].Divergence, actual[step].Divergence, 1e-5 * Math.Max(1, expected[step].Divergence), $"KD term of step {step + 1}");
    }

    [TestMethod]
    public void EachRoutedRowGetsItsOwnTeachersTargetsAndTheMixtureSitsBetween()
    {
        using var folder = new TempDirectory();
        string a = TinyCheckpoints.Create(folder.Sub("a"), TinyCheckpoints.Config(hidden: 64), seed: 40);
        string b = TinyCheckpoints.Create(folder.Sub("b"), TinyCheckpoints.Config(hidden: 64), seed: 41);
        var encoder = new PromptResponseEncoder(EmbeddedTask.CreateTokenizer(), 128);
        var examples = ArithmeticWordProblems.Generate(4, seed: 3)
            .Select((p, i) => encoder.Encode(p.Prompt, p.Solution)! with { TeacherName = i % 2 == 0 ? "a" : "b" }).ToList();
        int vocabulary = TinyCheckpoints.TokenizerSize;
        using var scope = NewDisposeScope();
        var batch = TokenBatch.Create(examples, padId: 2);
        using var teacherA = LocalTeacher.Load(a, CPU);
        using var teacherB = LocalTeacher.Load(b, CPU);

        using var routed = new TeacherEnsemble(new[] { ("a", 1f, (ITeacher)LocalTeacher.Load(a, CPU)), ("b", 1f, (ITeacher)LocalTeacher.Load(b, CPU)) }, routed: true, TopK);
        var targets = routed.Score(batch, vocabulary).All();
        long row = 0;
        foreach (var example in examples)
        {
            var own = (example.TeacherName == "a" ? teacherA : teacherB).Score(TokenBatch.Create(new[] { example }, 2), vocabulary).All().Logits; // [m, V]
            var (values, ids) = own.topk(TopK, dim: -1);
            Assert.IsTrue(TensorAssert.Identical(ids, targets.Ids!.narrow(0, row, example.ResponseTokenCount).narrow(1, 0, TopK)), $"{example.TeacherName}'s ids");
            // The same logits up to rounding: the routed pass scores a teacher's rows as a padded batch, and a matrix
            // product over another batch shape may round differently on some CPUs.
            var routedLogits = targets.Logits.narrow(0, row, example.ResponseTokenCount).narrow(1, 0, TopK);
            double difference = (values - routedLogits).abs().max().item<float>();
            Assert.IsTrue(difference < 1e-4, $"{example.TeacherName}'s logits differ by {difference}");
            row += example.ResponseTokenCount;
        }

        // The mixture's probability of each id is the weighted sum of the two teachers' (renormalised over their top K).
        using var mixed = new TeacherEnsemble(new[] { ("a", 3f, (ITeacher)LocalTeacher.Load(a, CPU)), ("b", 1f, (ITeacher)LocalTeacher.Load(b, CPU)) }, routed: false, TopK);
        var mixture = mixed.Score(batch, vocabulary).All();
        var firstRows = batch.ResponseTokenCount;
        var pa = teacherA.Score(batch, vocabulary).All().Logits.topk(TopK, dim: -1);
        var pb = teacherB.Score(batch, vocabulary).All().Logits.topk(TopK, dim: -1);
        long id = pa.indexes[0, 0].item<long>();
        double Probability(Tensor values, Tensor indexes) =>
            (indexes[0] == id).any().item<bool>() ? nn.functional.softmax(values[0], -1)[(indexes[0] == id).nonzero()[0, 0]].item<float>() : 0;
        double expected = 0.75 * Probability(pa.values, pa.indexes) + 0.25 * Probability(pb.values, pb.indexes);
        var column = (mixture.Ids![0] == id).nonzero()[0, 0];
        Assert.AreEqual(expected, Math.Exp(mixture.Logits[0][column].item<float>()), 1e-5);
        Assert.AreEqual((long)firstRows, mixture.Logits.shape[0]);
    }

    private sealed class RoutedRow
    {
        public string Prompt { get; set; } = "";
        public string Response { get; set; } = "";
        public string Teacher { get; set; } = "";
    }

    [TestMethod]
    public void ARunRoutesRowsByTheirTeacherColumn()
    {
        using var fixture = new DistillFixture();
        string other = TinyCheckpoints.Create(fixture.Sub("other"), TinyCheckpoints.Config(hidden: 64), seed: 77);
        var one = fixture.Options();
        one.TeacherScoreTopK = TopK;
        one.TeacherCacheDirectory = fixture.Sub("cache");
        one.TeacherCacheEncoding = TeacherCacheEncoding.Exact;
        var expected = Fit(one);

        List<TrainingProgress> Routed(Func<int, string> name)
        {
            var options = fixture.Options();
            options.TeacherScoreTopK = TopK;
            options.Teacher = new TeacherMixture
            {
                Members = { new() { Name = "main", ModelPath = fixture.TeacherPath }, new() { Name = "other", ModelPath = other } },
                RouteColumnName = "Teacher",
            };
            var ml = new MLContext(seed: 1);
            var recorder = new ProgressRecorder();
            options.Progress = recorder;
            var rows = TrainingRows.Make(8).Select((r, i) => new RoutedRow { Prompt = r.Prompt, Response = r.Response, Teacher = name(i) }).ToList();
            using var transformer = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(rows));
            return recorder.Reports;
        }
        var allMain = Routed(_ => "main");
        for (int step = 0; step < expected.Count; step++)
            Assert.AreEqual(expected[step].Divergence, allMain[step].Divergence, 1e-5 * Math.Max(1, expected[step].Divergence), "every row to the main teacher: that teacher's run");
        var alternating = Routed(i => i % 2 == 0 ? "main" : "other");
        Assert.AreNotEqual(allMain[0].Divergence, alternating[0].Divergence, "half the rows learn from the other teacher");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Routed(_ => "nobody"));
        StringAssert.Contains(e.Message, "'nobody'");
    }

    [TestMethod]
    public void SeveralTeachersAreValidated()
    {
        var mixture = new TeacherMixture { Members = { new() { Name = "a", ModelPath = "t" }, new() { Name = "a", ModelPath = "u" } } };
        var options = new NeoDistillOptions { StudentModelPath = "s", Teacher = mixture };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "must be unique");
        mixture.Members[1].Name = "b";
        options.Validate();
        mixture.Members[1].Weight = 0;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate).Message, "positive");
        mixture.Members[1].Weight = 1;
        mixture.Members[1].Endpoint = new TeacherEndpoint { Url = "http://localhost:8000" };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "exactly one of ModelPath");
        mixture.Members[1].ModelPath = null;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "CacheDirectory");
        mixture.Members[1].CacheDirectory = "cache-b";
        options.Validate();
        options.Mode = DistillationMode.Sequence;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "Mode = Logits");
        options.Mode = DistillationMode.Logits;
        options.CrossTokenizer = CrossTokenizerLoss.Hybrid;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "RouteColumnName");
        mixture.RouteColumnName = "Teacher";
        options.Validate();
        mixture.Members.Clear();
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "Members is empty");
    }
}
