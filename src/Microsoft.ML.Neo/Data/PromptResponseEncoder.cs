using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo.Data;

/// <summary>
/// Tokenizes prompt/response pairs. Prompt and response are encoded separately, so the response tokens are
/// the same whatever precedes them, and the completion generated after the prompt decodes the same way.
/// </summary>
internal sealed class PromptResponseEncoder
{
    private readonly SentencePieceTokenizer tokenizer;
    private readonly int maxLength;

    /// <param name="maxLength">Context length; longer examples lose the tail of their response.</param>
    public PromptResponseEncoder(SentencePieceTokenizer tokenizer, int maxLength)
    {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
    }

    /// <summary>Number of examples shortened to the context length so far.</summary>
    public int TruncatedCount { get; private set; }

    public int[] EncodePrompt(string prompt) =>
        tokenizer.EncodeToIds(prompt, addBeginningOfSentence: true, addEndOfSentence: false).ToArray();

    /// <summary>Encodes one pair, or returns null when the prompt alone fills the context (no response token would be trained).</summary>
    public EncodedExample? Encode(string prompt, string response)
    {
        var promptIds = EncodePrompt(prompt);
        var responseIds = tokenizer.EncodeToIds(response, addBeginningOfSentence: false, addEndOfSentence: false);
        var ids = new List<int>(promptIds.Length + responseIds.Count + 1);
        ids.AddRange(promptIds);
        ids.AddRange(responseIds);
        ids.Add(tokenizer.EndOfSentenceId);
        if (ids.Count > maxLength)
        {
            TruncatedCount++;
            if (promptIds.Length >= maxLength) return null;
            ids.RemoveRange(maxLength, ids.Count - maxLength);
        }
        return new EncodedExample(ids.ToArray(), promptIds.Length);
    }
}
