using TorchSharp;
using Microsoft.ML.Data;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Neo;

/// <summary>
/// Adds the teacher's response to each row, generated greedily under the chosen priming, lazily when the value is
/// read (once per row). Use it to look at or filter what the teacher says before training on it: feed the column to
/// NeoDistill as its <see cref="NeoDistillOptions.ResponseColumnName"/>. With a cache folder, generations are shared
/// with NeoDistill's sequence mode. It is a data-preparation step and is not saved into model zips.
/// </summary>
public sealed class NeoTeacherResponseTransformer : ITransformer, IDisposable, ICompletionSource
{
    private readonly IHost host;
    private readonly NeoTeacherResponseOptions options;
    private readonly CausalLM teacher;
    private readonly IReadOnlyCollection<int> stopIds;
    private readonly TeacherGenerationCache? cache;
    private readonly string fingerprint;
    private readonly object generationLock = new();

    internal NeoTeacherResponseTransformer(IHost host, NeoTeacherResponseOptions options)
    {
        this.host = host;
        this.options = options;
        teacher = CausalLM.FromPretrained(options.TeacherModelPath);
        try
        {
            if (teacher.TokenizerFiles is null)
                throw new InvalidDataException($"The teacher folder '{options.TeacherModelPath}' has no tokenizer.json or tokenizer.model; its responses cannot be written as text.");
            teacher.Model.to(DeviceSelection.Resolve(options.Device));
            stopIds = teacher.StopTokenIds;
            if (!string.IsNullOrWhiteSpace(options.CacheDirectory))
            {
                cache = new TeacherGenerationCache(options.CacheDirectory);
                fingerprint = TeacherFingerprint.Of(options.TeacherModelPath);
            }
            else
            {
                fingerprint = "";
            }
        }
        catch
        {
            teacher.Dispose();
            throw;
        }
    }

    /// <summary>How many responses were read from the cache instead of generated.</summary>
    public int CacheHits => cache?.Hits ?? 0;

    public bool IsRowToRowMapper => true;

    /// <summary>The teacher's response to one prompt (and reference answer, for answer priming).</summary>
    public string Respond(string prompt, string? answer = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        string primed = PrimingPrompts.Render(options.Priming, prompt, answer, options.PrimingTemplate);
        var tokenizer = teacher.TokenizerFiles!;
        var ids = tokenizer.Encode(primed);
        int limit = teacher.Config.ContextLength - 1;
        if (ids.Length > limit) ids = ids[^limit..]; // keep the end, as the student's completions do
        lock (generationLock)
        {
            return tokenizer.Decode(TeacherGenerator.Generate(teacher.Model, ids, options.MaxNewTokens, stopIds, cache, fingerprint));
        }
    }

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        foreach (var (name, option) in InputColumns())
            TextColumns.Require(inputSchema, name, option, nameof(NeoTeacherResponseOptions));
        return TextColumns.Append(inputSchema, options.OutputColumnName);
    }

    public IDataView Transform(IDataView input) => new CompletionDataView(this, input);

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new CompletionMapper(this, inputSchema);

    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(
        "NeoTeacherResponses prepares training data and is not saved into model zips; save the NeoDistill transformer instead.");

    IReadOnlyList<string> ICompletionSource.InputColumnNames => InputColumns().Select(c => c.Name).ToList();

    string ICompletionSource.Complete(IReadOnlyList<string> inputs) => Respond(inputs[0], inputs.Count > 1 ? inputs[1] : null);

    private IEnumerable<(string Name, string Option)> InputColumns()
    {
        yield return (options.PromptColumnName, nameof(NeoTeacherResponseOptions.PromptColumnName));
        if (!string.IsNullOrWhiteSpace(options.AnswerColumnName))
            yield return (options.AnswerColumnName, nameof(NeoTeacherResponseOptions.AnswerColumnName));
    }

    public void Dispose()
    {
        cache?.Dispose();
        teacher.Dispose();
    }
}
