using Microsoft.ML.Neo.Distillation;

namespace Microsoft.ML.Neo.Tests.Distillation;

[TestClass]
public sealed class PrimingPromptsTests
{
    private const string Prompt = "Question: Tom has 3 apples and buys 4 more. How many does he have?\nAnswer:";

    [TestMethod]
    public void BuiltInStrategiesUseTheSeedsTextsWordForWord()
    {
        Assert.AreEqual(Prompt, PrimingPrompts.Render(PrimingStrategy.None, Prompt));
        Assert.AreEqual(
            "As a teacher, guide your student through solving the question below. Provide a clear, simple explanation for someone unfamiliar with the problem.\n\n" + Prompt,
            PrimingPrompts.Render(PrimingStrategy.Teacher, Prompt));
        Assert.AreEqual(
            "As a smart language model, provide a detailed answer that is clear and feasible for smaller models to understand and learn from without losing too much detail.\n\n" + Prompt,
            PrimingPrompts.Render(PrimingStrategy.GroundTruth, Prompt));
        Assert.AreEqual(
            "As a smart language model, provide a detailed answer that is clear and feasible for smaller models to understand and learn from without losing too much detail. The correct answer is 7.\n\n" + Prompt,
            PrimingPrompts.Render(PrimingStrategy.GroundTruthWithAnswer, Prompt, answer: "7"));
    }

    [TestMethod]
    public void ConfidenceGoesAtTheEndOfTheQuestionBeforeTheAnswerCue()
    {
        Assert.AreEqual(
            "Question: Tom has 3 apples and buys 4 more. How many does he have? Briefly double-check that your answer is correct once done.\nAnswer:",
            PrimingPrompts.Render(PrimingStrategy.Confidence, Prompt));
        Assert.AreEqual("How many legs do 3 cats have? Briefly double-check that your answer is correct once done.",
            PrimingPrompts.Render(PrimingStrategy.Confidence, "How many legs do 3 cats have?"));
    }

    [TestMethod]
    public void CustomTemplatesFillQuestionAndAnswer()
    {
        Assert.AreEqual("Hint: the answer is 7.\n" + Prompt,
            PrimingPrompts.Render(PrimingStrategy.Custom, Prompt, "7", "Hint: the answer is {answer}.\n{question}"));
        // An answer that itself contains "{question}" is not expanded.
        Assert.AreEqual("{question} / q", PrimingPrompts.Render(PrimingStrategy.Custom, "q", "{question}", "{answer} / {question}"));
        Assert.IsTrue(PrimingPrompts.NeedsAnswer(PrimingStrategy.Custom, "{answer} {question}"));
        Assert.IsFalse(PrimingPrompts.NeedsAnswer(PrimingStrategy.Teacher, null));
    }

    [TestMethod]
    public void BadTemplatesAndMissingAnswersAreRefused()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => PrimingPrompts.Render(PrimingStrategy.Custom, Prompt, null, "Solve carefully."));
        StringAssert.Contains(e.Message, "{question}");
        e = Assert.ThrowsExactly<ArgumentException>(() => PrimingPrompts.Render(PrimingStrategy.GroundTruthWithAnswer, Prompt));
        StringAssert.Contains(e.Message, "AnswerColumnName");
    }
}
