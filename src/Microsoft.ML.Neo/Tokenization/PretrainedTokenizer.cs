using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// A model folder's tokenizer as transformers applies it with <c>add_special_tokens=True</c>, and as
/// Microsoft.ML.Tokenizers' <c>LlamaTokenizer</c> does: <c>EncodeToIds("Hi")</c> starts with BOS when the folder says
/// so (<c>add_bos_token</c> in tokenizer_config.json; true by default for Llama's <c>tokenizer.model</c>, and for a
/// <c>tokenizer.json</c> whose post-processor adds it). <see cref="TokenizerDecorator.Decode(IEnumerable{int})"/> leaves out a leading BOS
/// again, so decoding an encoding gives the text back.
/// </summary>
/// <example>
/// <code>
/// var model = CausalLM.FromPretrained("TinyLlama-1.1B");
/// IReadOnlyList&lt;int&gt; ids = model.Tokenizer!.EncodeToIds("Hello");            // [1, 15043]
/// var plain = model.TokenizerFiles!.Tokenizer.WithBeginningOfSequence(false);  // [15043]
/// </code>
/// </example>
public sealed class PretrainedTokenizer : TokenizerDecorator
{
    private readonly string beginningOfSequenceText;

    internal PretrainedTokenizer(Tokenizer inner, int? beginningOfSequenceId, string? beginningOfSequenceText, bool addsBeginningOfSequence)
        : base(inner)
    {
        if (addsBeginningOfSequence && beginningOfSequenceId is null)
            throw new ArgumentException("The tokenizer has no BOS token to add.", nameof(addsBeginningOfSequence));
        BeginningOfSequenceId = beginningOfSequenceId;
        AddsBeginningOfSequence = addsBeginningOfSequence;
        this.beginningOfSequenceText = beginningOfSequenceText ?? "";
    }

    /// <summary>The BOS token's id, or null when the tokenizer has none.</summary>
    public int? BeginningOfSequenceId { get; }

    /// <summary>Whether encoding puts BOS first.</summary>
    public bool AddsBeginningOfSequence { get; }

    /// <summary>
    /// This tokenizer with BOS added or not, whatever the folder says (transformers' <c>add_bos_token</c>). Throws
    /// when asked to add BOS and the tokenizer has no BOS token.
    /// </summary>
    public PretrainedTokenizer WithBeginningOfSequence(bool add) =>
        add == AddsBeginningOfSequence ? this : new PretrainedTokenizer(Inner, BeginningOfSequenceId, beginningOfSequenceText, add);

    private protected override List<EncodedToken> Rewrite(string text, List<EncodedToken> tokens)
    {
        if (!AddsBeginningOfSequence) return tokens;
        // BOS stands for no text: an empty range at the start.
        tokens.Insert(0, new EncodedToken(BeginningOfSequenceId!.Value, beginningOfSequenceText, new Range(0, 0)));
        return tokens;
    }

    private protected override IEnumerable<int> DecodedIds(IEnumerable<int> ids) =>
        AddsBeginningOfSequence ? SkipLeadingBos(ids) : ids;

    private IEnumerable<int> SkipLeadingBos(IEnumerable<int> ids)
    {
        bool first = true;
        foreach (int id in ids)
        {
            if (first && id == BeginningOfSequenceId) { first = false; continue; }
            first = false;
            yield return id;
        }
    }
}
