using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Data;

/// <summary>
/// A right-padded batch for next-token training, with both sides of a distillation pair. Inputs are tokens 0..L−2 and
/// labels tokens 1..L−1 of each example; labels of prompt and padding positions are <see cref="IgnoreIndex"/>. Right
/// padding needs no attention mask: causal attention never lets a real position see the padding after it.
/// <para>
/// The response rows are where loss is taken, as indices into the flattened [B·L] positions, in example order and
/// position order. The teacher's rows list the positions that predict the same tokens in the teacher's own
/// sequences (its primed prompts, or the student's sequences), so row k of one side pairs with row k of the other.
/// </para>
/// Every tensor belongs to the dispose scope that was current when <see cref="Create"/> ran.
/// </summary>
internal sealed class TokenBatch
{
    /// <summary>The label of positions that carry no loss (prompt and padding), as torch's cross-entropy expects.</summary>
    public const long IgnoreIndex = -100;

    private TokenBatch(IReadOnlyList<EncodedExample> examples, int padId, Tensor inputs, Tensor labels, Tensor responseRows, Tensor targets,
        Tensor teacherInputs, Tensor teacherResponseRows)
    {
        Examples = examples;
        PadId = padId;
        Inputs = inputs;
        Labels = labels;
        ResponseRows = responseRows;
        Targets = targets;
        TeacherInputs = teacherInputs;
        TeacherResponseRows = teacherResponseRows;
    }

    /// <summary>The examples, in batch order.</summary>
    public IReadOnlyList<EncodedExample> Examples { get; }

    /// <summary>The id that fills positions after an example's end.</summary>
    public int PadId { get; }

    /// <summary>[B, L] int64 student inputs.</summary>
    public Tensor Inputs { get; }

    /// <summary>[B, L] int64 next-token targets, <see cref="IgnoreIndex"/> where masked.</summary>
    public Tensor Labels { get; }

    /// <summary>[M] int64 indices of the response positions in the flattened [B·L] student positions.</summary>
    public Tensor ResponseRows { get; }

    /// <summary>[M] int64 the tokens those positions predict.</summary>
    public Tensor Targets { get; }

    /// <summary>[B, L'] int64 what the teacher reads (the same tensor as <see cref="Inputs"/> without priming).</summary>
    public Tensor TeacherInputs { get; }

    /// <summary>[M] int64 the teacher's positions predicting the same tokens, indices into the flattened [B·L'].</summary>
    public Tensor TeacherResponseRows { get; }

    /// <summary>[M] float32 each response position's weight in the loss (its example's <see cref="EncodedExample.LossWeight"/>); null when all are 1.</summary>
    public Tensor? RowWeights { get; private init; }

    /// <summary>M: the positions that carry loss.</summary>
    public int ResponseTokenCount => Examples.Sum(e => e.ResponseTokenCount);

    /// <param name="device">Where the tensors are made (the model's device).</param>
    public static TokenBatch Create(IReadOnlyList<EncodedExample> examples, int padId, Device? device = null)
    {
        if (examples.Count == 0) throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        var (inputs, labels, rows, targets) = Side(examples.Select(e => (e.TokenIds, e.ResponseStart)).ToList(), padId);
        var student = (Inputs: ToDevice(inputs, device), Labels: ToDevice(labels, device), Rows: ToDevice(rows, device));
        // Each response position carries its example's weight, in the rows' order (example by example).
        var weights = examples.All(e => e.LossWeight == 1) ? null
            : ToDevice(tensor(examples.SelectMany(e => Enumerable.Repeat(e.LossWeight, e.ResponseTokenCount)).ToArray()), device); // [M]
        if (examples.All(e => e.TeacherTokenIds is null))
            return new TokenBatch(examples, padId, student.Inputs, student.Labels, student.Rows, ToDevice(targets, device), student.Inputs, student.Rows)
                { RowWeights = weights };
        var teacher = Side(examples.Select(e => (e.TeacherView.TokenIds, e.TeacherView.ResponseStart)).ToList(), padId);
        return new TokenBatch(examples, padId, student.Inputs, student.Labels, student.Rows, ToDevice(targets, device),
            ToDevice(teacher.Inputs, device), ToDevice(teacher.Rows, device)) { RowWeights = weights };
    }

    /// <summary>Number of label positions that carry loss.</summary>
    public static int CountResponseTokens(IEnumerable<EncodedExample> examples) => examples.Sum(e => e.ResponseTokenCount);

    // One side of the batch: inputs and labels [B, L], the flat response rows [M] and their targets [M].
    private static (Tensor Inputs, Tensor Labels, Tensor Rows, Tensor Targets) Side(
        IReadOnlyList<(int[] Ids, int ResponseStart)> sequences, int padId)
    {
        int length = sequences.Max(s => s.Ids.Length) - 1;
        var inputs = new long[sequences.Count * length];
        var labels = new long[sequences.Count * length];
        var rows = new List<long>();
        var targets = new List<long>();
        Array.Fill(inputs, padId);
        Array.Fill(labels, IgnoreIndex);
        for (int row = 0; row < sequences.Count; row++)
        {
            var (ids, responseStart) = sequences[row];
            int offset = row * length;
            for (int t = 0; t < ids.Length - 1; t++)
            {
                inputs[offset + t] = ids[t];
                // Position t predicts token t+1; only response tokens carry loss.
                if (t + 1 < responseStart) continue;
                labels[offset + t] = ids[t + 1];
                rows.Add(offset + t);
                targets.Add(ids[t + 1]);
            }
        }
        var shape = new long[] { sequences.Count, length };
        return (tensor(inputs, shape), tensor(labels, shape), tensor(rows.ToArray(), new long[] { rows.Count }),
            tensor(targets.ToArray(), new long[] { targets.Count }));
    }

    private static Tensor ToDevice(Tensor value, Device? device) => device is null || device.type == TorchSharp.DeviceType.CPU ? value : value.to(device);
}
