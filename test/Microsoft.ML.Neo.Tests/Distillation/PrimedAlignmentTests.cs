using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation;

/// <summary>Teacher and student read different prompts; KD must compare them on the same response tokens.</summary>
[TestClass]
public sealed class PrimedAlignmentTests
{
    [TestMethod]
    public void EncoderKeepsTheSameResponseTokensOnBothSides()
    {
        var tokenizer = EmbeddedTask.CreateTokenizer();
        var problem = ArithmeticWordProblems.Generate(1, seed: 3)[0];
        string primed = PrimingPrompts.Render(PrimingStrategy.Teacher, problem.Prompt);
        var full = new PromptResponseEncoder(tokenizer, 1024).Encode(problem.Prompt, problem.Solution, primed)!;
        int responseLength = full.TokenIds.Length - full.ResponseStart;
        Assert.IsTrue(full.TeacherResponseStart > full.ResponseStart, "the primed prompt is longer");
        CollectionAssert.AreEqual(full.TokenIds[full.ResponseStart..], full.TeacherTokenIds![full.TeacherResponseStart..]);

        // A context that only the teacher's longer prompt overflows: both sides lose the same tail.
        int context = full.TeacherResponseStart + responseLength - 5;
        var encoder = new PromptResponseEncoder(tokenizer, context);
        var cut = encoder.Encode(problem.Prompt, problem.Solution, primed)!;
        Assert.AreEqual(1, encoder.TruncatedCount);
        Assert.AreEqual(context, cut.TeacherTokenIds!.Length);
        Assert.AreEqual(responseLength - 5, cut.TokenIds.Length - cut.ResponseStart, "the student is cut as much as the teacher");
        CollectionAssert.AreEqual(cut.TokenIds[cut.ResponseStart..], cut.TeacherTokenIds[cut.TeacherResponseStart..]);
    }

    [TestMethod]
    public void KdCompareseachResponseTokenWithTheTeachersPredictionOfTheSameToken()
    {
        var tokenizer = EmbeddedTask.CreateTokenizer();
        manual_seed(4);
        using var teacher = new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 64));
        using var student = new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 32));
        var encoder = new PromptResponseEncoder(tokenizer, 256);
        var problems = ArithmeticWordProblems.Generate(2, seed: 8);
        var batch = problems.Select(p => encoder.Encode(p.Prompt, p.Solution, PrimingPrompts.Render(PrimingStrategy.GroundTruth, p.Prompt))!).ToList();

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var tokens = TokenBatch.Create(batch, padId: 2);
        var studentLogits = student.Forward(tokens.Inputs);                                                      // [B, L, V]
        var teacherLogits = teacher.Forward(tokens.TeacherInputs);                                               // [B, L', V]
        const float temperature = 2;
        var studentRows = studentLogits.reshape(-1, studentLogits.shape[^1]).index_select(0, tokens.ResponseRows);         // [M, V]
        var teacherRows = teacherLogits.reshape(-1, teacherLogits.shape[^1]).index_select(0, tokens.TeacherResponseRows);  // [M, V]
        var terms = DistillationLoss.Compute(studentRows, tokens.Targets, new TeacherTargets(teacherRows, null),
            new LossSettings(1, temperature, Divergence.ForwardKL));

        // By hand: response token k of example b is predicted at student position ResponseStart-1+k and teacher
        // position TeacherResponseStart-1+k.
        double sum = 0;
        int count = 0;
        for (int b = 0; b < batch.Count; b++)
        {
            for (int k = 0; k < batch[b].ResponseTokenCount; k++)
            {
                var q = (studentLogits[b, batch[b].ResponseStart - 1 + k] / temperature).log_softmax(0).to(ScalarType.Float64);
                var p = (teacherLogits[b, batch[b].TeacherResponseStart - 1 + k] / temperature).log_softmax(0).to(ScalarType.Float64);
                sum += (p.exp() * (p - q)).sum().item<double>();
                count++;
            }
        }
        double expected = sum / count * temperature * temperature;
        Assert.AreEqual(expected, terms.Divergence.item<float>(), 1e-5 * Math.Max(1, expected));

        // A teacher sequence whose response tokens are shifted by one is caught when the example is built, not silently misaligned.
        var first = batch[0];
        var shifted = first.TeacherTokenIds![..first.TeacherResponseStart].Concat(first.TeacherTokenIds[(first.TeacherResponseStart + 1)..]).Append(2).ToArray();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            new EncodedExample(first.TokenIds, first.ResponseStart, shifted, first.TeacherResponseStart));
        StringAssert.Contains(e.Message, "misaligned");
    }
}
