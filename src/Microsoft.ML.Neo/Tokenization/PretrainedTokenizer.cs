using System.Buffers;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo;

/// <summary>
/// A model folder's tokenizer as transformers applies it with <c>add_special_tokens=True</c>, and as
/// Microsoft.ML.Tokenizers' <c>LlamaTokenizer</c> does: <c>EncodeToIds("Hi")</c> starts with BOS when the folder says
/// so (<c>add_bos_token</c> in tokenizer_config.json; true by default for Llama's <c>tokenizer.model</c>, and for a
/// <c>tokenizer.json</c> whose post-processor adds it). <see cref="Decode(IEnumerable{int})"/> leaves out a leading BOS
/// again, so decoding an encoding gives the text back.
/// </summary>
/// <remarks>
/// The folder's model tokenizer does the encoding; this one puts BOS first and then truncates to
/// <see cref="EncodeSettings.MaxTokenCount"/>, so every count, index and id API of <see cref="Tokenizer"/> counts BOS.
/// </remarks>
/// <example>
/// <code>
/// var model = CausalLM.FromPretrained("TinyLlama-1.1B");
/// IReadOnlyList&lt;int&gt; ids = model.Tokenizer!.EncodeToIds("Hello");            // [1, 15043]
/// var plain = model.TokenizerFiles!.Tokenizer.WithBeginningOfSequence(false);  // [15043]
/// </code>
/// </example>
public sealed class PretrainedTokenizer : Tokenizer
{
    private readonly string beginningOfSequenceText;

    internal PretrainedTokenizer(Tokenizer inner, int? beginningOfSequenceId, string? beginningOfSequenceText, bool addsBeginningOfSequence)
    {
        if (addsBeginningOfSequence && beginningOfSequenceId is null)
            throw new ArgumentException("The tokenizer has no BOS token to add.", nameof(addsBeginningOfSequence));
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        BeginningOfSequenceId = beginningOfSequenceId;
        AddsBeginningOfSequence = addsBeginningOfSequence;
        this.beginningOfSequenceText = beginningOfSequenceText ?? "";
    }

    /// <summary>The model tokenizer, which adds no special tokens; <see cref="TokenizerFiles.Decode"/> decodes with it.</summary>
    internal Tokenizer Inner { get; }

    /// <summary>The BOS token's id, or null when the tokenizer has none.</summary>
    public int? BeginningOfSequenceId { get; }

    /// <summary>Whether encoding puts BOS first.</summary>
    public bool AddsBeginningOfSequence { get; }

    public override Normalizer? Normalizer => Inner.Normalizer;

    public override PreTokenizer? PreTokenizer => Inner.PreTokenizer;

    /// <summary>
    /// This tokenizer with BOS added or not, whatever the folder says (transformers' <c>add_bos_token</c>). Throws
    /// when asked to add BOS and the tokenizer has no BOS token.
    /// </summary>
    public PretrainedTokenizer WithBeginningOfSequence(bool add) =>
        add == AddsBeginningOfSequence ? this : new PretrainedTokenizer(Inner, BeginningOfSequenceId, beginningOfSequenceText, add);

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        string input = text ?? textSpan.ToString();
        var encoded = Inner.EncodeToTokens(input, out string? normalized, settings.ConsiderPreTokenization, settings.ConsiderNormalization);
        var tokens = encoded.ToList();
        // BOS stands for no text: an empty range at the start.
        if (AddsBeginningOfSequence) tokens.Insert(0, new EncodedToken(BeginningOfSequenceId!.Value, beginningOfSequenceText, new Range(0, 0)));
        int limit = settings.MaxTokenCount;
        bool truncated = limit > 0 && tokens.Count > limit;
        if (truncated) tokens.RemoveRange(limit, tokens.Count - limit);
        // Offsets refer to the normalized text when the inner tokenizer normalized it, else to the input.
        int length = (normalized ?? input).Length;
        int consumed = !truncated ? length : tokens.Count == 0 ? 0 : tokens[^1].Offset.End.GetOffset(length);
        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = normalized, CharsConsumed = consumed };
    }

    public override string Decode(IEnumerable<int> ids) => Inner.Decode(WithoutAddedBos(ids)) ?? "";

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        var list = ids as IReadOnlyCollection<int> ?? ids.ToList();
        var status = Inner.Decode(WithoutAddedBos(list), destination, out _, out charsWritten);
        idsConsumed = status == OperationStatus.Done ? list.Count : 0;
        return status;
    }

    // The ids without the BOS this tokenizer puts first, so decoding an encoding gives the text back.
    private IEnumerable<int> WithoutAddedBos(IEnumerable<int> ids)
    {
        bool first = true;
        foreach (int id in ids)
        {
            if (first && AddsBeginningOfSequence && id == BeginningOfSequenceId) { first = false; continue; }
            first = false;
            yield return id;
        }
    }
}
