using System.Text.RegularExpressions;

namespace Neo.Cli.Terminal;

/// <summary>
/// Puts the library's messages in the command line's terms: an option property becomes the flag that sets it, and the
/// BCL's suffixes for programmers (" (Parameter 'x')", "Actual value was 0.") are dropped, since the message already
/// says the value and the range.
/// </summary>
internal static partial class CliTerms
{
    // NeoDistillOptions' properties and the flags of neo distill (and sweep) that set them.
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["TeacherModelPath"] = "--teacher", ["TeacherCacheDirectory"] = "--teacher-cache", ["TeacherScoreTopK"] = "--top-k",
        ["StudentModelPath"] = "--student", ["Mode"] = "--mode", ["LoraRank"] = "--rank", ["LoraAlpha"] = "--alpha",
        ["KdWeight"] = "--kd", ["Temperature"] = "--temperature", ["Divergence"] = "--divergence", ["JsdBeta"] = "--jsd-beta",
        ["SkewAlpha"] = "--skew-alpha", ["Finetuning"] = "--finetuning", ["OnPolicyFraction"] = "--on-policy",
        ["OnPolicyTemperature"] = "--on-policy-temperature", ["LearningRate"] = "--lr", ["Epochs"] = "--epochs",
        ["BatchSize"] = "--batch", ["MicroBatchSize"] = "--micro-batch", ["WarmupFraction"] = "--warmup", ["EarlyStoppingPatience"] = "--patience", ["KeepBestWeights"] = "--keep-best",
        ["ValidationEverySteps"] = "--validate-every", ["ValidateAnswerAccuracy"] = "--validation-accuracy", ["ValidationData"] = "--validation", ["Schedule"] = "--schedule",
        ["MaxGradientNorm"] = "--max-grad-norm", ["AdamBeta1"] = "--adam-beta1", ["AdamBeta2"] = "--adam-beta2", ["AdamEpsilon"] = "--adam-epsilon", ["MaxSteps"] = "--max-steps", ["MaxNewTokens"] = "--max-new-tokens", ["Seed"] = "--seed",
        ["CheckpointDirectory"] = "--checkpoints", ["CheckpointEverySteps"] = "--checkpoint-every", ["LossChunkSize"] = "--loss-chunk",
        ["Precision"] = "--precision", ["SelfDistillation"] = "--self", ["Priming"] = "--priming", ["PrimingTemplate"] = "--priming-template",
        ["AnswerColumnName"] = "--answer-key", ["TeacherLogits"] = "--teacher-logits", ["TeacherCacheEncoding"] = "--cache-encoding",
        ["CrossTokenizer"] = "--cross-tokenizer", ["UldWeight"] = "--uld-weight", ["Teachers"] = "--teacher-mix", ["TeacherColumnName"] = "--teacher-key",
        ["VerifyTeacherAnswers"] = "--verify-answers", ["MismatchedAnswerWeight"] = "--mismatched-weight",
        ["BaseQuantization"] = "--quantize-base", ["ActivationCheckpointing"] = "--activation-checkpointing", ["UseDora"] = "--dora", ["UseRsLora"] = "--rslora", ["LoraInitialization"] = "--lora-init",
        // NeoSearchSpace's choices, as neo sweep spells them.
        ["Divergences"] = "--divergence", ["Primings"] = "--priming", ["FinetuningKinds"] = "--finetuning", ["AdapterKinds"] = "--adapter",
    };

    // The options classes of the other commands, and the flags that set their properties.
    private static readonly Dictionary<string, Dictionary<string, string>> OtherFlags = new(StringComparer.Ordinal)
    {
        ["NeoServerOptions"] = new(StringComparer.Ordinal)
        {
            ["ModelPath"] = "--model", ["ModelId"] = "--model-id", ["Host"] = "--host", ["Port"] = "--port", ["ApiKey"] = "--api-key-env",
            ["MaxLogprobs"] = "--max-logprobs", ["MaxPromptTokens"] = "--max-prompt-tokens", ["MaxRequestBodyBytes"] = "--max-body-bytes", ["Precision"] = "--precision",
        },
        ["TeacherLogitCaptureOptions"] = new(StringComparer.Ordinal)
        {
            ["Teacher"] = "--teacher", ["OutputPath"] = "--out", ["TokenizerPath"] = "--tokenizer", ["TopK"] = "--top-k", ["Layout"] = "--layout",
            ["MaxSequenceLength"] = "--max-length", ["BatchSize"] = "--batch", ["Precision"] = "--precision",
        },
    };

    // System.CommandLine names the expected type as .NET spells it.
    private static readonly Dictionary<string, string> TypeNames = new(StringComparer.Ordinal)
    {
        ["System.Single"] = "a number", ["System.Double"] = "a number", ["System.Int32"] = "a whole number",
        ["System.Int64"] = "a whole number", ["System.Boolean"] = "true or false", ["System.String"] = "text",
    };

    /// <summary>The message of a library exception, as the command line reports it.</summary>
    public static string Message(Exception error)
    {
        string message = error.Message;
        if (error is ArgumentOutOfRangeException { ActualValue: { } actual })
            message = message.Replace($"{Environment.NewLine}Actual value was {actual}.", "", StringComparison.Ordinal);
        if (error is ArgumentException { ParamName: { } parameter })
            message = message.Replace($" (Parameter '{parameter}')", "", StringComparison.Ordinal);
        return Translate(message);
    }

    /// <summary>Option properties named as flags; .NET type names as words, an enum's as its values.</summary>
    public static string Translate(string message)
    {
        message = EnumParse().Replace(message, m => Enum(m.Groups["type"].Value) is { } type
            ? $"{m.Groups["option"].Value} does not take '{m.Groups["value"].Value}'; give one of {string.Join(", ", System.Enum.GetNames(type))} (any case)."
            : m.Value);
        message = QualifiedProperty().Replace(message, m => Flags.TryGetValue(m.Groups[1].Value, out var flag) ? flag : m.Value);
        message = OtherQualifiedProperty().Replace(message, m =>
            OtherFlags[m.Groups[1].Value].TryGetValue(m.Groups[2].Value, out var flag) ? flag : m.Value);
        // A bare property name is replaced only when it cannot be an English word (two capitals or more: LoraRank).
        message = BareProperty().Replace(message, m =>
            m.Value.Count(char.IsUpper) >= 2 && Flags.TryGetValue(m.Value, out var flag) ? flag : m.Value);
        foreach (var (type, words) in TypeNames) message = message.Replace($"as expected type '{type}'", $"as {words}", StringComparison.Ordinal);
        return message;
    }

    // An enum the library or the tool defines, by its full name.
    private static Type? Enum(string fullName) =>
        AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(fullName, throwOnError: false)).FirstOrDefault(t => t is { IsEnum: true });

    [GeneratedRegex(@"Cannot parse argument '(?<value>[^']*)' for option '(?<option>[^']*)' as expected type '(?<type>[\w.+]+)'\.(?:\s*Did you mean one of the following\?(?:\r?\n[\w.+-]+)*)?")]
    private static partial Regex EnumParse();

    [GeneratedRegex(@"\b(NeoServerOptions|TeacherLogitCaptureOptions)\.([A-Za-z]+)\b")]
    private static partial Regex OtherQualifiedProperty();

    [GeneratedRegex(@"\b(?:NeoDistillOptions|NeoSearchSpace)\.([A-Za-z]+)\b")]
    private static partial Regex QualifiedProperty();

    [GeneratedRegex(@"\b[A-Z][a-z]+(?:[A-Z][A-Za-z]*)+\b")]
    private static partial Regex BareProperty();
}
