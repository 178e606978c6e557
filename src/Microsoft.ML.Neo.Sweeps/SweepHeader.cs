using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>
/// What must match for a trial log to be continued: the search space, the metric and every base option, the teacher
/// as its own record (<see cref="NeoTeacher"/> kinds write theirs). Options at their type's default (0, false, null,
/// the first enum value) are left out, so a later version that adds an option, left at its default, still continues
/// the log. A log written before the teacher became one option (with <c>TeacherModelPath</c>, <c>Teachers</c>, ...
/// among the options) is continued when its teacher, read the old way, is this sweep's and trains the same way.
/// </summary>
internal static class SweepHeader
{
    private static readonly JsonSerializerOptions OmitDefaults = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault };

    public static string Describe(IEnumerable<string> dimensions, string metric, bool maximize, NeoDistillOptions options)
    {
        var record = JsonNode.Parse(JsonSerializer.Serialize(options, OmitDefaults))!.AsObject();
        var ordered = new JsonObject { ["Teacher"] = options.Teacher is null ? null : JsonNode.Parse(options.Teacher.ToJson()) };
        foreach (var (key, value) in record.ToList())
        {
            record.Remove(key);
            ordered[key] = value;
        }
        return Serialize(dimensions, metric, maximize, ordered.ToJsonString());
    }

    /// <summary>
    /// The header a version before the teacher option wrote for the same sweep; null where that version trained
    /// differently (a cached local teacher kept its top 64 in 10-bit logits by default), so no old log is continued.
    /// </summary>
    public static string? Legacy(IEnumerable<string> dimensions, string metric, bool maximize, NeoDistillOptions options)
    {
        bool cached = !string.IsNullOrWhiteSpace(options.TeacherCacheDirectory);
        if (cached && options.Teacher is TeacherModel or SelfTeacher && options.TeacherScoreTopK == 0) return null;
        var record = JsonNode.Parse(JsonSerializer.Serialize(options, OmitDefaults))!.AsObject();
        // The old options class: the teacher's seven properties where they stood, then the rest in the same order.
        var old = new JsonObject
        {
            ["TeacherModelPath"] = (options.Teacher as TeacherModel)?.ModelPath ?? "",
        };
        if (options.Teacher is TeacherEndpoint endpoint) old["TeacherEndpoint"] = JsonNode.Parse(JsonSerializer.Serialize(endpoint, OmitDefaults));
        var mixture = options.Teacher as TeacherMixture;
        old["Teachers"] = JsonNode.Parse(JsonSerializer.Serialize(mixture?.Members ?? new List<DistillationTeacher>(), OmitDefaults));
        if (mixture?.RouteColumnName is { } route) old["TeacherColumnName"] = route;
        foreach (var key in new[] { "CrossTokenizer", "UldWeight" })
            if (record.TryGetPropertyValue(key, out var value)) old[key] = value?.DeepClone();
        if (options.Teacher is SelfTeacher) old["SelfDistillation"] = true;
        if (options.Teacher is TeacherLogits logits) old["TeacherLogits"] = new JsonObject { ["Path"] = logits.Path, ["DistillKitConfigPath"] = logits.DistillKitConfigPath };
        foreach (var (key, value) in record)
        {
            if (old.ContainsKey(key)) continue;
            // The old default encoding was Compact (0, left out); Exact was written as 1, and only mattered with a cache.
            if (key == nameof(NeoDistillOptions.TeacherCacheEncoding) && !cached) continue;
            old[key] = value?.DeepClone();
        }
        if (cached && options.TeacherCacheEncoding == TeacherCacheEncoding.Compact) old.Remove(nameof(NeoDistillOptions.TeacherCacheEncoding));
        else if (cached && !old.ContainsKey(nameof(NeoDistillOptions.TeacherCacheEncoding))) old[nameof(NeoDistillOptions.TeacherCacheEncoding)] = 1;
        return Serialize(dimensions, metric, maximize, old.ToJsonString(OmitDefaults));
    }

    private static string Serialize(IEnumerable<string> dimensions, string metric, bool maximize, string options) =>
        JsonSerializer.Serialize(new { dimensions, metric, maximize, options });
}
