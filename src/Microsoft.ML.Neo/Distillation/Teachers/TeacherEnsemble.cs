using Microsoft.ML.Neo.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// Several teachers behind the one seam (<see cref="TeacherMixture.Members"/>):
/// <list type="bullet">
/// <item>routed: each example is scored by the teacher its row names (<see cref="EncodedExample.TeacherName"/>), and the
/// rows are put back in batch order;</item>
/// <item>mixed: every teacher scores every example, and each position's target is the weighted mixture
/// p = Σ wᵢ pᵢ / Σ wᵢ over the union of the teachers' top-K ids, each teacher's distribution renormalised over its own
/// top K (so it puts 0 where it reported nothing). Positions have up to n·K ids; shorter ones are padded with empty
/// entries, which add nothing to the loss.</item>
/// </list>
/// </summary>
internal sealed class TeacherEnsemble : ITeacher
{
    private readonly IReadOnlyList<(string Name, float Weight, ITeacher Teacher)> members;
    private readonly bool routed;
    private readonly int topK;

    /// <param name="members">The teachers, owned.</param>
    public TeacherEnsemble(IReadOnlyList<(string Name, float Weight, ITeacher Teacher)> members, bool routed, int topK)
    {
        this.members = members;
        this.routed = routed;
        this.topK = topK;
        StopTokenIds = members[0].Teacher.StopTokenIds;
    }

    public string Fingerprint => string.Join("|", members.Select(m => $"{m.Name}={m.Weight}:{m.Teacher.Fingerprint}"));

    public int ContextLength => members.Min(m => m.Teacher.ContextLength);

    public IReadOnlySet<int> StopTokenIds { get; }

    public string? CacheSummary => null;

    public int[] Generate(int[] promptIds, int maxNewTokens, IReadOnlyCollection<int> stopIds) =>
        throw new NotSupportedException("Several teachers score responses (Mode = Logits); they do not write them together.");

    public TeacherBatchScores Score(TokenBatch batch, int vocabulary) => routed ? Routed(batch, vocabulary) : Mixed(batch, vocabulary);

    public void ScoreTopK(IReadOnlyList<EncodedExample> examples, int vocabulary, int topK, int padId, Action<EncodedExample, int[], float[]> store) =>
        throw new NotSupportedException("Several teachers score batches (Score); each one's cache sits behind it.");

    public void PrepareScores(IReadOnlyList<EncodedExample> examples, int vocabulary, int padId, Action<string> log)
    {
        foreach (var (name, _, teacher) in members)
        {
            var mine = routed ? examples.Where(e => e.TeacherName == name).ToList() : examples;
            if (mine.Count > 0) teacher.PrepareScores(mine, vocabulary, padId, line => log($"[{name}] {line}"));
        }
    }

    // Each example from its own teacher; every teacher's targets in the top-K form, rows back in batch order.
    private TeacherBatchScores Routed(TokenBatch batch, int vocabulary)
    {
        var memberOf = members.Select((m, i) => (m.Name, Index: i)).ToDictionary(m => m.Name, m => m.Index, StringComparer.Ordinal);
        if (batch.Examples.FirstOrDefault(e => e.TeacherName is null || !memberOf.ContainsKey(e.TeacherName)) is { } stray)
            throw new InvalidDataException($"A row names the teacher '{stray.TeacherName ?? "(none)"}'; TeacherMixture.Members are {string.Join(", ", memberOf.Keys.Select(n => $"'{n}'"))}.");
        // Each member scores its examples; their targets are stacked member after member, and each batch row is then
        // picked from that stack by its place in it.
        var scored = new List<TeacherTargets>();
        var firstRow = new Dictionary<EncodedExample, long>(ReferenceEqualityComparer.Instance); // the example's first row in the stack
        long stacked = 0;
        foreach (var (name, _, teacher) in members)
        {
            var mine = batch.Examples.Where(e => e.TeacherName == name).ToList();
            if (mine.Count == 0) continue;
            scored.Add(TopKForm(teacher.Score(TokenBatch.Create(mine, batch.PadId, batch.Inputs.device), vocabulary).All(), vocabulary));
            foreach (var example in mine)
            {
                firstRow[example] = stacked;
                stacked += example.ResponseTokenCount;
            }
        }
        long width = scored.Max(t => t.Logits.shape[1]);
        var order = tensor(batch.Examples.SelectMany(e => Enumerable.Range(0, e.ResponseTokenCount).Select(k => firstRow[e] + k)).ToArray(), device: batch.Inputs.device); // [M]
        var logits = cat(scored.Select(t => Pad(t.Logits, width, TeacherTargets.EmptyLogit)).ToList(), 0).index_select(0, order);              // [M, K']
        var ids = cat(scored.Select(t => Pad(t.Ids!, width, TeacherTargets.EmptyId(vocabulary))).ToList(), 0).index_select(0, order);          // [M, K']
        var uld = scored.Any(t => t.UldRows is not null)
            ? cat(scored.Select(t => t.UldRows ?? zeros(t.Logits.shape[0], dtype: ScalarType.Bool, device: t.Logits.device)).ToList(), 0).index_select(0, order) // [M]
            : null;
        return new KnownTeacherScores(new TeacherTargets(logits, ids) { HasEmptyEntries = true, UldRows = uld });
    }

    // The weighted mixture over the union of the teachers' top-K ids, position by position.
    private TeacherBatchScores Mixed(TokenBatch batch, int vocabulary)
    {
        var all = members.Select(m => TopKForm(m.Teacher.Score(batch, vocabulary).All(), vocabulary)).ToList();
        long rows = all[0].Logits.shape[0];
        double totalWeight = members.Sum(m => (double)m.Weight);
        var memberIds = all.Select(t => t.Ids!.cpu().data<long>().ToArray()).ToList();
        var memberLogits = all.Select(t => t.Logits.to(ScalarType.Float32).cpu().data<float>().ToArray()).ToList();
        var mixtures = new List<(long[] Ids, float[] LogProbabilities)>();
        for (long row = 0; row < rows; row++)
        {
            var mixture = new Dictionary<long, double>();
            for (int m = 0; m < members.Count; m++)
            {
                long k = all[m].Logits.shape[1];
                var entries = Enumerable.Range(0, (int)k).Select(e => (Id: memberIds[m][row * k + e], Logit: (double)memberLogits[m][row * k + e]))
                    .Where(e => e.Id != TeacherTargets.EmptyId(vocabulary)).ToList();
                if (entries.Count == 0) continue;
                double max = entries.Max(e => e.Logit), sum = entries.Sum(e => Math.Exp(e.Logit - max));
                foreach (var (id, logit) in entries)
                    mixture[id] = mixture.GetValueOrDefault(id) + members[m].Weight / totalWeight * Math.Exp(logit - max) / sum;
            }
            var ordered = mixture.OrderByDescending(p => p.Value).ToList();
            mixtures.Add((ordered.Select(p => p.Key).ToArray(), ordered.Select(p => (float)Math.Log(p.Value)).ToArray()));
        }
        int width = Math.Max(1, mixtures.Max(m => m.Ids.Length));
        var ids = new long[rows * width];
        var logProbabilities = new float[rows * width];
        for (int row = 0; row < rows; row++)
            for (int e = 0; e < width; e++)
            {
                bool present = e < mixtures[row].Ids.Length;
                ids[row * width + e] = present ? mixtures[row].Ids[e] : TeacherTargets.EmptyId(vocabulary);
                logProbabilities[row * width + e] = present ? mixtures[row].LogProbabilities[e] : TeacherTargets.EmptyLogit;
            }
        var device = batch.Inputs.device;
        return new KnownTeacherScores(new TeacherTargets(tensor(logProbabilities, new long[] { rows, width }).to(device), // [M, U]
            tensor(ids, new long[] { rows, width }).to(device)) { HasEmptyEntries = true });                         // [M, U]
    }

    // A teacher's targets with ids: dense ones cut to their top K.
    private TeacherTargets TopKForm(TeacherTargets targets, int vocabulary)
    {
        if (targets.Ids is not null) return targets;
        var (values, ids) = targets.Logits.topk(Math.Min(topK, (int)targets.Logits.shape[1]), dim: -1); // [M, K] each
        return new TeacherTargets(values, ids);
    }

    // [m, K] rows widened to [m, width] with the value.
    private static Tensor Pad(Tensor rows, long width, double value) => rows.shape[1] == width ? rows
        : cat(new[] { rows, full(rows.shape[0], width - rows.shape[1], value, dtype: rows.dtype, device: rows.device) }, 1);

    public void Dispose()
    {
        foreach (var (_, _, teacher) in members) teacher.Dispose();
    }
}
