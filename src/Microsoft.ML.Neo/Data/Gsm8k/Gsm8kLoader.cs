using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Neo.Evaluation;

namespace Microsoft.ML.Neo.Data;

/// <summary>
/// Reads GSM8K's JSON-lines files (<c>{"question": ..., "answer": "... #### 72"}</c>, e.g. <c>test.jsonl</c>) one line
/// at a time. Bad lines fail with their line number.
/// </summary>
public static partial class Gsm8kLoader
{
    // GSM8K's calculator annotations: "48/2 = <<48/2=24>>24".
    [GeneratedRegex(@"<<[^<>]*>>")]
    private static partial Regex CalculatorAnnotation();

    /// <summary>
    /// The prompt a question is asked with: <c>Question: ...\nAnswer:</c>. The synthetic word problems
    /// (Microsoft.ML.Neo.Data.Synthetic) use the same format, so a student trained on either is evaluated on both alike.
    /// </summary>
    public static string FormatPrompt(string question) => $"Question: {question}\nAnswer:";

    /// <summary>Streams the problems of a file; enumerating again reads the file again.</summary>
    /// <param name="removeCalculatorAnnotations">Drop the <c>&lt;&lt;48/2=24&gt;&gt;</c> annotations from the solutions.</param>
    public static IEnumerable<Gsm8kProblem> Read(string path, bool removeCalculatorAnnotations = true)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The GSM8K file '{path}' does not exist.", path);
        return ReadLines(path, removeCalculatorAnnotations);
    }

    /// <summary>The problems of a file as an <see cref="IDataView"/> (columns Question, Answer, Prompt, FinalAnswer), streamed.</summary>
    public static IDataView LoadGsm8k(this DataOperationsCatalog catalog, string path, bool removeCalculatorAnnotations = true)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.LoadFromEnumerable(Read(path, removeCalculatorAnnotations));
    }

    private static IEnumerable<Gsm8kProblem> ReadLines(string path, bool removeAnnotations)
    {
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string question, answer;
            try
            {
                using var json = JsonDocument.Parse(line);
                question = Text(json.RootElement, "question");
                answer = Text(json.RootElement, "answer");
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new InvalidDataException($"'{path}' line {lineNumber}: {e.Message} (expected {{\"question\": \"...\", \"answer\": \"... #### n\"}}).", e);
            }
            if (removeAnnotations) answer = CalculatorAnnotation().Replace(answer, "");
            var final = AnswerExtractor.ExtractWithRule(answer);
            if (final.Rule != AnswerRule.Gsm8kMarker)
                throw new InvalidDataException($"'{path}' line {lineNumber}: the answer does not end with '#### <number>'.");
            yield return new Gsm8kProblem
            {
                Question = question, Answer = answer, Prompt = FormatPrompt(question),
                FinalAnswer = final.Value!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        }
    }

    private static string Text(JsonElement root, string key) =>
        root.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new KeyNotFoundException($"no \"{key}\" string");
}
