using Microsoft.ML.Neo.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// Several teachers behind the one seam (<see cref="NeoDistillOptions.Teachers"/>):
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
        var names = members.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        if (batch.Examples.FirstOrDefault(e => e.TeacherName is null || !names.Contains(e.TeacherName)) is { } stray)
            throw new InvalidDataException($"A row names the teacher '{stray.TeacherName ?? "(none)"}'; NeoDistillOptions.Teachers are {string.Join(", ", names.Select(n => $"'{n}'"))}.");
        var rowOf = new List<(int Member, long Row)>(); // for each batch row: which member's targets, which row of them
        var targets = new List<TeacherTargets>();
        var offsets = new Dictionary<EncodedExample, long>(ReferenceEqualityComparer.Instance);
        for (int m = 0; m < members.Count; m++)
        {
            var mine = batch.Examples.Where(e => e.TeacherName == members[m].Name).ToList();
            if (mine.Count == 0) { targets.Add(null!); continue; }
            targets.Add(TopKForm(members[m].Teacher.Score(TokenBatch.Create(mine, batch.PadId, batch.Inputs.device), vocabulary).All(), vocabulary));
            long row = 0;
            foreach (var example in mine)
            {
                offsets[example] = row;
                row += example.ResponseTokenCount;
            }
        }
        foreach (var example in batch.Examples)
        {
            int m = members.ToList().FindIndex(x => x.Name == example.TeacherName);
            for (int k = 0; k < example.ResponseTokenCount; k++) rowOf.Add((m, offsets[example] + k));
        }
        long width = targets.Where(t => t is not null).Max(t => t.Logits.shape[1]);
        var index = rowOf.Select(r => r.Member).ToArray();
        var logits = new List<Tensor>();
        var ids = new List<Tensor>();
        var uld = new List<Tensor>();
        foreach (var (m, row) in rowOf)
        {
            var t = targets[m];
            logits.Add(Pad(t.Logits.narrow(0, row, 1), width, TeacherTargets.EmptyLogit));
            ids.Add(Pad(t.Ids!.narrow(0, row, 1), width, TeacherTargets.EmptyId(vocabulary)));
            uld.Add(t.UldRows?.narrow(0, row, 1) ?? zeros(1, dtype: ScalarType.Bool, device: t.Logits.device));
        }
        return new KnownTeacherScores(new TeacherTargets(cat(logits, 0), cat(ids, 0)) // [M, K'] each
        {
            HasEmptyEntries = true,
            UldRows = targets.Any(t => t?.UldRows is not null) ? cat(uld, 0) : null,
        });
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

    private static Tensor Pad(Tensor row, long width, double value) => row.shape[1] == width ? row
        : cat(new[] { row, full(1, width - row.shape[1], value, dtype: row.dtype, device: row.device) }, 1);

    public void Dispose()
    {
        foreach (var (_, _, teacher) in members) teacher.Dispose();
    }
}
