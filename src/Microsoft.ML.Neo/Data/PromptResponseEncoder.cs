using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo.Data;

/// <summary>
/// Tokenizes prompt/response pairs. Prompt and response are encoded separately, so the response tokens are
/// the same whatever precedes them, and the completion generated after the prompt decodes the same way.
/// </summary>
internal sealed class PromptResponseEncoder
{
    private readonly TokenizerFiles tokenizer;
    private readonly int endOfSequenceId;
    private readonly int maxLength;

    /// <param name="maxLength">Context length; longer examples lose the tail of their response.</param>
    public PromptResponseEncoder(TokenizerFiles tokenizer, int maxLength)
    {
        this.tokenizer = tokenizer;
        endOfSequenceId = tokenizer.EndOfSequenceId ?? throw new InvalidDataException(
            "The tokenizer names no end-of-sequence token (eos_token in tokenizer_config.json); training needs one to end each response.");
        this.maxLength = maxLength;
    }

    /// <summary>Number of examples shortened to the context length so far.</summary>
    public int TruncatedCount { get; private set; }

    public int[] EncodePrompt(string prompt) =>
        tokenizer.Encode(prompt, addBeginningOfSequence: true);

    /// <summary>Encodes one pair, or returns null when the prompt alone fills the context (no response token would be trained).</summary>
    public EncodedExample? Encode(string prompt, string response)
    {
        var promptIds = EncodePrompt(prompt);
        var responseIds = tokenizer.Encode(response, addBeginningOfSequence: false);
        var ids = new List<int>(promptIds.Length + responseIds.Length + 1);
        ids.AddRange(promptIds);
        ids.AddRange(responseIds);
        ids.Add(endOfSequenceId);
        if (ids.Count > maxLength)
        {
            TruncatedCount++;
            if (promptIds.Length >= maxLength) return null;
            ids.RemoveRange(maxLength, ids.Count - maxLength);
        }
        return new EncodedExample(ids.ToArray(), promptIds.Length);
    }
}
