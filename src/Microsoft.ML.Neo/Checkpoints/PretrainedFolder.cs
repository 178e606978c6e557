using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Modeling.Families;
using Microsoft.ML.Neo.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Checkpoints;

/// <summary>
/// A Hugging Face model folder, opened once: its config (read by the family its <c>model_type</c> names), its tokenizer
/// when it has a readable one, its generation config, the ids generation stops at, and how its stored tensor names map
/// onto the decoder's parameters. Every path that loads a pretrained model (<see cref="CausalLM.FromPretrained(string)"/>,
/// make-student, NeoDistill's student, a local teacher, teacher responses) goes through here, so they agree on all of it.
/// </summary>
internal sealed class PretrainedFolder
{
    private readonly ModelFamily storedFamily;
    private readonly Exception? tokenizerError;
    private string? tokenizerWarning;

    private PretrainedFolder(string directory, string role, ModelConfig config, ModelFamily storedFamily,
        TokenizerFiles? tokenizer, Exception? tokenizerError, GenerationConfig? generation)
    {
        Directory = directory;
        Role = role;
        Config = config;
        this.storedFamily = storedFamily;
        Tokenizer = tokenizer;
        this.tokenizerError = tokenizerError;
        Generation = generation;
    }

    /// <summary>The folder's path, as given.</summary>
    public string Directory { get; }

    /// <summary>What the folder is to the caller ("student", "teacher"), for messages.</summary>
    public string Role { get; }

    /// <summary>The decoder's architecture (a multimodal folder gives its text model's).</summary>
    public ModelConfig Config { get; }

    /// <summary>The folder's tokenizer, or null when it has no tokenizer files or they cannot be read (<see cref="TokenizerWarning"/>).</summary>
    public TokenizerFiles? Tokenizer { get; }

    /// <summary>Why the folder's tokenizer files were left out (traced as a warning when asked), or null.</summary>
    public string? TokenizerWarning => tokenizerError is null ? null : tokenizerWarning ??= TokenizerFiles.UnreadableWarning(tokenizerError);

    /// <summary><c>generation_config.json</c>, or null when the folder has none.</summary>
    public GenerationConfig? Generation { get; }

    /// <summary>Every id generation stops at (<see cref="StopTokens.Of"/>).</summary>
    public IReadOnlySet<int> StopTokenIds => StopTokens.Of(Config, Tokenizer, Generation);

    /// <summary>Checks that the folder is a checkpoint and reads everything but the weights.</summary>
    /// <param name="role">What the folder is to the caller ("student", "teacher"), named in every error.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not a checkpoint this library reads; the message says why.</exception>
    /// <exception cref="UnreadableFileException">One of its files is damaged; the message names it and says what to do.</exception>
    public static PretrainedFolder Open(string directory, string role)
    {
        HuggingFaceCheckpoint.EnsureIsCheckpoint(directory, role);
        var config = HuggingFaceCheckpoint.ReadConfig(directory, out var storedFamily);
        var generation = GenerationConfig.TryLoad(directory);
        // Logits need only token ids, so an unreadable tokenizer does not stop the load; what needs it asks for it.
        TokenizerFiles? tokenizer = null;
        Exception? tokenizerError = null;
        try { tokenizer = TokenizerFiles.TryLoad(directory, generation); }
        catch (Exception e) when (e is InvalidDataException or UnreadableFileException) { tokenizerError = e; }
        return new PretrainedFolder(directory, role, config, storedFamily, tokenizer, tokenizerError, generation);
    }

    /// <summary>The tokenizer, or an error that says the folder has none (or why it cannot be read) and what needs it.</summary>
    /// <param name="neededFor">What needs the tokenizer, completing "…; {neededFor}".</param>
    public TokenizerFiles RequireTokenizer(string neededFor)
    {
        if (Tokenizer is not null) return Tokenizer;
        if (tokenizerError is not null) throw new InvalidDataException($"{tokenizerError.Message} {char.ToUpperInvariant(neededFor[0])}{neededFor[1..]}.", tokenizerError);
        throw new InvalidDataException($"The {Role} folder '{Directory}' has no tokenizer.json or tokenizer.model; {neededFor}.");
    }

    /// <summary>The decoder with every weight of the folder, held in <paramref name="dtype"/>.</summary>
    public DecoderForCausalLM LoadModel(ScalarType dtype = ScalarType.Float32) => LoadModel(Config, dtype, storedName => storedName);

    /// <summary>
    /// A decoder of <paramref name="config"/> filled from the folder's tensors; <paramref name="rename"/> maps a decoder
    /// parameter name of the folder's model to one of the new model (null leaves the tensor out).
    /// </summary>
    public DecoderForCausalLM LoadModel(ModelConfig config, ScalarType dtype, Func<string, string?> rename)
    {
        var model = new DecoderForCausalLM(config, dtype);
        try
        {
            HuggingFaceCheckpoint.LoadFolderWeights(model, Directory,
                stored => storedFamily.ParameterNameOf(stored) is { } name ? rename(name) : null);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Wraps a model loaded from this folder with the folder's tokenizer and generation config.</summary>
    public CausalLM ToCausalLM(DecoderForCausalLM model) => new(model, Tokenizer, Generation, TokenizerWarning, storedFamily);
}
