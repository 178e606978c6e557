using System.Text;
using Microsoft.ML.Neo.Data;

namespace Microsoft.ML.Neo.Training;

/// <summary>Fixed examples, reshuffled every epoch by a seeded generator, cut into batches (the last one may be short).</summary>
internal sealed class ShuffledExampleBatches : IBatchSource
{
    private readonly IReadOnlyList<EncodedExample> examples;
    private readonly int batchSize;
    private readonly Random shuffler;

    public ShuffledExampleBatches(IReadOnlyList<EncodedExample> examples, int batchSize, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        this.examples = examples;
        this.batchSize = batchSize;
        shuffler = new Random(seed);
    }

    public int StepsPerEpoch => StepCount.PerEpoch(examples.Count, batchSize);

    public IEnumerable<IReadOnlyList<EncodedExample>> Epoch(int epoch)
    {
        // Each epoch's order continues the generator's sequence, so replaying epochs from the first reproduces it.
        var order = Enumerable.Range(0, examples.Count).ToArray();
        shuffler.Shuffle(order);
        for (int start = 0; start < order.Length; start += batchSize)
            yield return order.Skip(start).Take(batchSize).Select(i => examples[i]).ToList();
    }

    public string Describe()
    {
        var description = new StringBuilder();
        foreach (var example in examples)
        {
            description.Append(';').AppendJoin(',', example.TokenIds).Append('/').Append(example.ResponseStart);
            if (example.TeacherTokenIds is not null)
                description.Append('|').AppendJoin(',', example.TeacherTokenIds).Append('/').Append(example.TeacherResponseStart);
        }
        return description.ToString();
    }
}
