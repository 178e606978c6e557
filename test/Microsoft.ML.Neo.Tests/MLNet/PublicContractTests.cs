namespace Microsoft.ML.Neo.Tests.MLNet;

/// <summary>The public contract of the end-to-end issue, written exactly as users write it.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class PublicContractTests
{
    [TestMethod]
    public void OptionsSnippetCompilesAndFitsAsAnEstimatorOfITransformer()
    {
        using var fixture = new DistillFixture();
        var mlContext = new MLContext(seed: 1);
        string teacherDir = fixture.TeacherPath, studentDir = fixture.StudentPath;
        var options = new NeoDistillOptions {
            Teacher = new TeacherModel(teacherDir), StudentModelPath = studentDir,      // Hugging Face folders
            PromptColumnName = "Prompt", ResponseColumnName = "Response", OutputColumnName = "Completion",
            LoraRank = 8, LoraAlpha = 16, Temperature = 2f, KdWeight = 0.5f,
            LearningRate = 2e-4f, Epochs = 1, BatchSize = 8, MaxNewTokens = 64, Seed = 1 };
        IEstimator<ITransformer> estimator = mlContext.Transforms.NeoDistill(options);

        ITransformer model = estimator.Fit(mlContext.Data.LoadFromEnumerable(TrainingRows.Make(8)));
        Assert.IsInstanceOfType<NeoDistillTransformer>(model);
        ((IDisposable)model).Dispose();
    }

    [TestMethod]
    public void SimpleOverloadUsesDefaults()
    {
        var estimator = new MLContext().Transforms.NeoDistill("teacher", "student", "Q", "A", "Out");
        var options = estimator.Options;
        Assert.AreEqual("Q", options.PromptColumnName);
        Assert.AreEqual("A", options.ResponseColumnName);
        Assert.AreEqual("Out", options.OutputColumnName);
        Assert.AreEqual(new NeoDistillOptions().LoraRank, options.LoraRank);
    }

    [TestMethod]
    public void CausalLMContract()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 40);
        using Microsoft.ML.Neo.CausalLM model = Microsoft.ML.Neo.CausalLM.FromPretrained(folder.Path);
        float[,] logits = model.Logits(new[] { 1, 2, 3 });
        Microsoft.ML.Tokenizers.Tokenizer? tokenizer = model.Tokenizer;
        Assert.AreEqual(3, logits.GetLength(0));
        Assert.AreEqual(model.Config.VocabSize, logits.GetLength(1));
        Assert.IsNotNull(tokenizer);
    }
}
