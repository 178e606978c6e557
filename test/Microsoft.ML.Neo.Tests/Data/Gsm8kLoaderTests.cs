using Microsoft.ML.Neo.Data;

namespace Microsoft.ML.Neo.Tests.Data;

[TestClass]
public sealed class Gsm8kLoaderTests
{
    // The first two problems of GSM8K's test split, as the file writes them.
    private const string TwoProblems = """
        {"question": "Janet\u2019s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?", "answer": "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer\u2019s market.\n#### 18"}
        {"question": "A robe takes 2 bolts of blue fiber and half that much white fiber.  How many bolts in total does it take?", "answer": "It takes 2/2=<<2/2=1>>1 bolt of white fiber\nSo the total amount of fabric is 2+1=<<2+1=3>>3 bolts of fabric\n#### 3"}
        """;

    [TestMethod]
    public void ReadsQuestionsSolutionsAndFinalAnswersAsAStream()
    {
        using var dir = new TempDirectory();
        string path = dir.Sub("test.jsonl");
        File.WriteAllText(path, TwoProblems + "\n\n");
        var problems = Gsm8kLoader.Read(path).ToList();
        Assert.AreEqual(2, problems.Count);
        Assert.AreEqual("18", problems[0].FinalAnswer);
        Assert.AreEqual("Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes 9 * 2 = $18 every day at the farmer\u2019s market.\n#### 18", problems[0].Answer);
        StringAssert.StartsWith(problems[1].Prompt, "Question: A robe takes 2 bolts");
        StringAssert.EndsWith(problems[1].Prompt, "\nAnswer:");
        StringAssert.Contains(Gsm8kLoader.Read(path, removeCalculatorAnnotations: false).First().Answer, "<<16-3-4=9>>");

        var ml = new MLContext(seed: 1);
        var view = ml.Data.LoadGsm8k(path);
        CollectionAssert.AreEqual(new[] { "18", "3" }, view.GetColumn<string>("FinalAnswer").ToArray());
    }

    [TestMethod]
    public void BadLinesNameTheirLineNumber()
    {
        using var dir = new TempDirectory();
        string path = dir.Sub("bad.jsonl");
        File.WriteAllText(path, TwoProblems.Split('\n')[0] + "\n{\"question\": \"no answer key\"}\n");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Gsm8kLoader.Read(path).ToList());
        StringAssert.Contains(e.Message, "line 2");
        StringAssert.Contains(e.Message, "\"answer\"");
        File.WriteAllText(path, "{\"question\": \"q\", \"answer\": \"no marker 5\"}\n");
        e = Assert.ThrowsExactly<InvalidDataException>(() => Gsm8kLoader.Read(path).ToList());
        StringAssert.Contains(e.Message, "####");
        Assert.ThrowsExactly<FileNotFoundException>(() => Gsm8kLoader.Read(dir.Sub("missing.jsonl")));
    }
}
