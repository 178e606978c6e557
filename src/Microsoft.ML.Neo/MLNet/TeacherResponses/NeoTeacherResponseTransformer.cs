using Microsoft.ML.Data;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Tokenization;
using static TorchSharp.torch;
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
    private readonly TokenizerFiles tokenizer;
    private readonly ITeacher teacher;
    private readonly CachedTeacher? cachedTeacher;
    private readonly IReadOnlyCollection<int> stopIds;
    private readonly object generationLock = new();

    // The context assumed for a served teacher that does not say its own: prompts are never cut here.
    private const int ServedContextFallback = 1 << 20;

    internal NeoTeacherResponseTransformer(IHost host, NeoTeacherResponseOptions options)
    {
        this.host = host;
        this.options = options;
        var kind = options.Teacher!;
        var folder = kind is TeacherModel model ? model.OpenFolder() : null;
        string? tokenizerPath = (kind as TeacherEndpoint)?.TokenizerPath ?? options.TokenizerPath;
        tokenizer = folder?.RequireTokenizer("its responses cannot be written as text")
            ?? TokenizerFiles.TryLoad(tokenizerPath!) ?? throw new InvalidDataException(
                $"NeoTeacherResponseOptions.TokenizerPath '{tokenizerPath}' has no tokenizer.json or tokenizer.model; it must hold tokenizer files.");
        // Generations only: no logits are read, so no K applies.
        var settings = new TeacherSettings { CacheDirectory = options.CacheDirectory };
        var device = DeviceSelection.Resolve(options.Device);
        // A server bounds its own context; the fallback only matters for a chat client, which says none.
        teacher = kind.Open(settings, new TeacherOpening(device, PrecisionSupport.Resolve(options.Precision, device), StudentTokenizer: tokenizer,
            StudentContext: ServedContextFallback, Folder: folder));
        cachedTeacher = teacher as CachedTeacher;
        stopIds = teacher.StopTokenIds; // the folder's: its tokenizer's EOS and every configured end-of-sequence id
    }

    /// <summary>How many responses were read from the cache instead of generated.</summary>
    public int CacheHits => cachedTeacher?.GenerationHits ?? 0;

    public bool IsRowToRowMapper => true;

    /// <summary>The teacher's response to one prompt (and reference answer, for answer priming).</summary>
    public string Respond(string prompt, string? answer = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        string primed = PrimingPrompts.Render(options.Priming, prompt, answer, options.PrimingTemplate);
        var ids = ContextWindow.KeepEnd(tokenizer.Encode(primed), teacher.ContextLength);
        lock (generationLock)
        {
            return tokenizer.Decode(teacher.Generate(ids, options.MaxNewTokens, stopIds));
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

    public void Dispose() => teacher.Dispose();
}
