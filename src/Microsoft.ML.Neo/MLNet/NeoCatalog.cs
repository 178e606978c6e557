namespace Microsoft.ML.Neo;

/// <summary>Entry points of Microsoft.ML.Neo on <c>mlContext.Transforms</c>.</summary>
public static class NeoCatalog
{
    /// <summary>
    /// Distils a teacher LLM into a LoRA-adapted student (LLM-NEO). The fitted transformer adds a text column with
    /// the student's completion of each prompt.
    /// </summary>
    /// <remarks>
    /// <list type="table">
    /// <listheader><term>Column</term><description>Type and role</description></listheader>
    /// <item><term>PromptColumnName</term><description>Text, input: the prompt.</description></item>
    /// <item><term>ResponseColumnName</term><description>Text, input used by Fit only: the reference response.</description></item>
    /// <item><term>OutputColumnName</term><description>Text, output: the student's completion, computed lazily per row.</description></item>
    /// </list>
    /// </remarks>
    public static NeoDistillEstimator NeoDistill(this TransformsCatalog catalog, NeoDistillOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new NeoDistillEstimator(CatalogEnvironment.Of(catalog), options.Clone());
    }

    /// <summary>The simple overload: two Hugging Face folders and the column names; every other option at its default.</summary>
    public static NeoDistillEstimator NeoDistill(this TransformsCatalog catalog, string teacherModelPath, string studentModelPath,
        string promptColumnName = "Prompt", string responseColumnName = "Response", string outputColumnName = "Completion") =>
        catalog.NeoDistill(new NeoDistillOptions
        {
            Teacher = new TeacherModel(teacherModelPath),
            StudentModelPath = studentModelPath,
            PromptColumnName = promptColumnName,
            ResponseColumnName = responseColumnName,
            OutputColumnName = outputColumnName,
        });

    /// <summary>
    /// Adds a text column with the teacher's greedy response to each prompt under the chosen priming (response-priming
    /// KD), generated lazily per row, so the responses can be inspected or filtered before NeoDistill trains on them.
    /// </summary>
    public static NeoTeacherResponseEstimator NeoTeacherResponses(this TransformsCatalog catalog, NeoTeacherResponseOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new NeoTeacherResponseEstimator(CatalogEnvironment.Of(catalog), options.Clone());
    }

    /// <summary>
    /// Loads a NeoDistill model zip (saved by <c>mlContext.Model.Save</c> or <c>neo distill</c>) and returns its
    /// <see cref="NeoDistillTransformer"/>, the model itself or the last one of a saved pipeline. Unlike
    /// <c>Model.Load</c>, a damaged zip fails with the library's <see cref="UnreadableFileException"/> (not wrapped in a
    /// TargetInvocationException), and a folder, a file that is not a zip, or a zip without a NeoDistill transformer
    /// fail with a message saying what to pass instead. Dispose the transformer when done.
    /// </summary>
    public static NeoDistillTransformer LoadNeoDistill(this ModelOperationsCatalog catalog, string path) =>
        MLNet.ModelZip.ModelZipLoader.LoadDistilled(catalog, path);

    /// <summary>
    /// GSM8K-style answer accuracy of a prediction column against a reference column (a solution ending in
    /// <c>#### n</c>, or a number): accuracy, counts, and predictions without a number. See
    /// <see cref="Evaluation.AnswerAccuracyEvaluator"/>.
    /// </summary>
    public static Evaluation.AnswerAccuracyMetrics EvaluateAnswers(this MLContext mlContext, IDataView data,
        string predictionColumnName = "Completion", string referenceColumnName = "Response")
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return Evaluation.AnswerAccuracyEvaluator.Evaluate(data, predictionColumnName, referenceColumnName);
    }
}
