using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo.Data;

/// <summary>
/// Where the space between a prompt and its response belongs. A response is tokenized on its own, so a SentencePiece
/// tokenizer (Llama 2, the embedded models) already opens it with a word boundary ("Tom" becomes "▁Tom"); a response
/// that also starts with a space gets a token of its own for it ("▁", "▁Tom") that the model never saw in
/// pretraining. Byte-level tokenizers (Llama 3, Qwen, Gemma, SmolLM, Phi-4) add nothing, so there the response
/// carries its own leading space.
/// </summary>
internal static class ResponseBoundary
{
    /// <summary>Whether the response's leading space becomes a token of bare whitespace under this tokenizer.</summary>
    public static bool HasExtraSpaceToken(string response, TokenizerFiles tokenizer)
    {
        if (response.Length < 2 || response[0] != ' ' || char.IsWhiteSpace(response[1])) return false;
        var ids = tokenizer.Encode(response, addBeginningOfSequence: false);
        return ids.Length > 1 && tokenizer.Decode(new[] { ids[0] }).Trim().Length == 0;
    }

    /// <summary>The warning for <paramref name="count"/> such responses out of <paramref name="total"/>, or null for none.</summary>
    public static string? Warning(int count, int total) => count == 0 ? null :
        $"{count} of {total} responses start with a space, and the student's tokenizer already opens a response with a word " +
        "boundary (SentencePiece), so each of them begins with an extra whitespace token the model has to learn. " +
        "Write such responses without the leading space (the model still reads \"Answer: Tom\"); see docs/quickstart.md#data-format.";
}
