using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo.Data;

/// <summary>
/// Tokenizes prompt/response pairs. Prompt and response are encoded separately, so the response tokens are
/// the same whatever precedes them, and the completion generated after the prompt decodes the same way. With a
/// teacher prompt (response priming), student and teacher sequences end in the very same response tokens: when
/// either side is too long, both lose the same tail of the response.
/// </summary>
internal sealed class PromptResponseEncoder
{
    private readonly TokenizerFiles tokenizer;

    private readonly int maxLength;
    private readonly int teacherMaxLength;

    /// <param name="maxLength">Student context length; longer examples lose the tail of their response.</param>
    /// <param name="teacherMaxLength">Teacher context length for primed prompts; defaults to <paramref name="maxLength"/>.</param>
    public PromptResponseEncoder(TokenizerFiles tokenizer, int maxLength, int? teacherMaxLength = null)
    {
        this.tokenizer = tokenizer;
        EndOfSequenceId = tokenizer.EndOfSequenceId ?? throw new InvalidDataException(
            "The tokenizer names no end-of-sequence token (eos_token in tokenizer_config.json); training needs one to end each response.");
        this.maxLength = maxLength;
        this.teacherMaxLength = teacherMaxLength ?? maxLength;
    }

    /// <summary>The id that ends every training response.</summary>
    public int EndOfSequenceId { get; }

    /// <summary>Number of examples shortened to the context length so far.</summary>
    public int TruncatedCount { get; private set; }

    public int[] EncodePrompt(string prompt) => tokenizer.Encode(prompt, addBeginningOfSequence: true);

    /// <summary>The text of response ids (what an answer is read from).</summary>
    public string Decode(int[] ids) => tokenizer.Decode(ids);

    /// <summary>The response's ids followed by EOS, as training sees them.</summary>
    public int[] EncodeResponse(string response) => [.. tokenizer.Encode(response, addBeginningOfSequence: false), EndOfSequenceId];

    /// <summary>
    /// Encodes one pair, or returns null when a prompt alone fills its context (no response token would be trained).
    /// </summary>
    /// <param name="teacherPrompt">The teacher's (primed) prompt, or null when the teacher reads the student's sequence.</param>
    public EncodedExample? Encode(string prompt, string response, string? teacherPrompt = null) =>
        Encode(EncodePrompt(prompt), EncodeResponse(response), teacherPrompt is null ? null : EncodePrompt(teacherPrompt));

    /// <param name="responseIds">Response ids ending in EOS (see <see cref="EncodeResponse"/>).</param>
    public EncodedExample? Encode(int[] promptIds, int[] responseIds, int[]? teacherPromptIds)
    {
        int room = maxLength - promptIds.Length;
        if (teacherPromptIds is not null) room = Math.Min(room, teacherMaxLength - teacherPromptIds.Length);
        int keep = Math.Min(responseIds.Length, room);
        if (keep < responseIds.Length) TruncatedCount++;
        if (keep <= 0) return null;
        var response = responseIds.AsSpan(0, keep);
        int[] student = [.. promptIds, .. response];
        return teacherPromptIds is null
            ? new EncodedExample(student, promptIds.Length)
            : new EncodedExample(student, promptIds.Length, [.. teacherPromptIds, .. response], teacherPromptIds.Length);
    }
}
