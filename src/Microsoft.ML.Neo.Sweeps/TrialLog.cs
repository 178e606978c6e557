using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Distillation;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>
/// The JSON-lines log of a sweep: a header line describing the sweep, then one line per trial, appended and flushed
/// as each trial ends. A sweep started again with the same log continues after its finished trials; a log written by
/// a different sweep (other search space, metric or base options) is refused rather than mixed in.
/// </summary>
internal sealed class TrialLog
{
    private readonly string path;

    public TrialLog(string path) => this.path = path;

    /// <summary>Reads the trials of this sweep, or none when the log does not exist yet; writes the header for a new log.</summary>
    /// <param name="legacyDescription">The header an older version wrote for the same sweep, also accepted; null for none.</param>
    public List<SweepTrial> Open(string description, string? legacyDescription = null)
    {
        var trials = new List<SweepTrial>();
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            File.WriteAllText(path, new JsonObject { ["sweep"] = description }.ToJsonString() + "\n");
            return trials;
        }
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Trim().Length == 0) continue;
            JsonObject json;
            try
            {
                json = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("not an object");
            }
            catch (JsonException) when (lineNumber > 1)
            {
                continue; // a line cut short when a run died; that trial runs again
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{path}' is not a trial log (its first line is not the JSON header a sweep writes); " +
                    "use another log path, or delete the file to start over.", e);
            }
            if (lineNumber == 1)
            {
                string? header = json["sweep"]?.GetValue<string>();
                if (header != description && (legacyDescription is null || header != legacyDescription))
                    throw new InvalidDataException($"The trial log '{path}' was written by a different sweep (search space, metric or base options); " +
                        "use another log path, or delete it to start over.");
                continue;
            }
            trials.Add(Parse(json));
        }
        return trials;
    }

    public void Append(SweepTrial trial)
    {
        var p = trial.Parameters;
        var json = new JsonObject { ["trial"] = trial.Index, ["status"] = trial.Status.ToString(), ["metric"] = trial.Metric, ["seconds"] = Math.Round(trial.Seconds, 2) };
        foreach (var (key, value) in SweepDimensions.All.SelectMany(d => d.Write(p))) json[key] = value;
        json["teacher_weights"] = p.TeacherWeights is null ? null : new JsonObject(p.TeacherWeights.Select(w => KeyValuePair.Create(w.Key, (JsonNode?)w.Value)));
        json["point"] = new JsonArray(trial.Point.Select(x => (JsonNode)x).ToArray());
        json["message"] = trial.Message;
        json["curve"] = trial.Curve is null ? null : new JsonArray(trial.Curve.Select(c => (JsonNode)new JsonArray(c.Step, c.Loss)).ToArray());
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write);
        var bytes = System.Text.Encoding.UTF8.GetBytes(json.ToJsonString() + "\n");
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    private static SweepTrial Parse(JsonObject json) => new(
        json["trial"]!.GetValue<int>(),
        SweepDimensions.All.Aggregate(new SweepParameters(0, 0, 0, 0), (p, d) => d.Read(p, json)) with
        {
            TeacherWeights = json["teacher_weights"]?.AsObject().ToDictionary(w => w.Key, w => w.Value!.GetValue<double>(), StringComparer.Ordinal),
        },
        json["point"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray(),
        json["metric"]?.GetValue<double>(),
        json["seconds"]!.GetValue<double>(),
        Enum.Parse<TrialStatus>(json["status"]!.GetValue<string>()),
        json["message"]?.GetValue<string>(),
        json["curve"]?.AsArray().Select(c => (c![0]!.GetValue<int>(), c[1]!.GetValue<double>())).ToList());
}
