using System.Buffers;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// A tokenizer that encodes with an inner one and then rewrites the token list (adds BOS, fuses unknown tokens).
/// Truncation to <see cref="EncodeSettings.MaxTokenCount"/> happens after the rewrite, so every count, index and id
/// API of <see cref="Tokenizer"/> sees the rewritten tokens.
/// </summary>
public abstract class TokenizerDecorator : Tokenizer
{
    private protected TokenizerDecorator(Tokenizer inner)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
    }

    /// <summary>The tokenizer whose output this one rewrites.</summary>
    public Tokenizer Inner { get; }

    public override Normalizer? Normalizer => Inner.Normalizer;

    public override PreTokenizer? PreTokenizer => Inner.PreTokenizer;

    /// <summary>Rewrites the inner tokenizer's tokens for <paramref name="text"/>.</summary>
    private protected abstract List<EncodedToken> Rewrite(string text, List<EncodedToken> tokens);

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        string input = text ?? textSpan.ToString();
        var inner = Inner.EncodeToTokens(input, out string? normalized, settings.ConsiderPreTokenization, settings.ConsiderNormalization);
        var tokens = Rewrite(input, inner.ToList());
        int limit = settings.MaxTokenCount;
        bool truncated = limit > 0 && tokens.Count > limit;
        if (truncated) tokens.RemoveRange(limit, tokens.Count - limit);
        // Offsets refer to the normalized text when the inner tokenizer normalized it, else to the input.
        int length = (normalized ?? input).Length;
        int consumed = !truncated ? length : tokens.Count == 0 ? 0 : tokens[^1].Offset.End.GetOffset(length);
        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = normalized, CharsConsumed = consumed };
    }

    public override string Decode(IEnumerable<int> ids) => Inner.Decode(DecodedIds(ids)) ?? "";

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        var list = ids as IReadOnlyCollection<int> ?? ids.ToList();
        var status = Inner.Decode(DecodedIds(list), destination, out _, out charsWritten);
        idsConsumed = status == OperationStatus.Done ? list.Count : 0;
        return status;
    }

    /// <summary>The ids the inner tokenizer decodes; tokens this one added can be left out here.</summary>
    private protected virtual IEnumerable<int> DecodedIds(IEnumerable<int> ids) => ids;
}
