using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>
/// A random forest (Microsoft.ML.FastTree's FastForest) fitted to trials' points: SMAC's surrogate, and the model the
/// partial-dependence plots average. A categorical dimension is one-hot encoded (one feature per category), so the
/// trees split on "is it this category" instead of on an order the categories do not have. Seeded and single-threaded.
/// </summary>
internal sealed class TrialForest
{
    private readonly IReadOnlyList<QuantileRegressionTree> trees;
    private readonly IReadOnlyList<SearchRange> dimensions;

    private TrialForest(IReadOnlyList<QuantileRegressionTree> trees, IReadOnlyList<SearchRange> dimensions)
    {
        this.trees = trees;
        this.dimensions = dimensions;
    }

    /// <summary>Fits <paramref name="trees"/> trees to (point, label) pairs, points in the unit cube of <paramref name="dimensions"/>.</summary>
    public static TrialForest Fit(IReadOnlyList<(double[] Point, double Label)> data, IReadOnlyList<SearchRange> dimensions, int trees, int seed)
    {
        int features = FeatureCount(dimensions);
        var ml = new MLContext(seed: seed);
        var schema = SchemaDefinition.Create(typeof(Observation));
        schema[nameof(Observation.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        var rows = data.Select(d => new Observation { Features = Encode(d.Point, dimensions), Label = (float)d.Label }).ToList();
        var trainer = ml.Regression.Trainers.FastForest(new FastForestRegressionTrainer.Options
        {
            NumberOfTrees = trees, NumberOfLeaves = Math.Max(2, Math.Min(8, data.Count / 2)), MinimumExampleCountPerLeaf = 1,
            FeatureFraction = 1, NumberOfThreads = 1, LabelColumnName = nameof(Observation.Label), FeatureColumnName = nameof(Observation.Features),
        });
        return new TrialForest(trainer.Fit(ml.Data.LoadFromEnumerable(rows, schema)).Model.TrainedTreeEnsemble.Trees, dimensions);
    }

    /// <summary>The mean of the trees' predictions at a point (FastForest's own prediction) and their spread.</summary>
    public (double Mean, double Spread) Predict(double[] point)
    {
        var features = Encode(point, dimensions);
        var values = trees.Select(tree => Evaluate(tree, features)).ToArray();
        double mean = values.Average();
        return (mean, Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length));
    }

    private static int FeatureCount(IReadOnlyList<SearchRange> dimensions) => dimensions.Sum(d => d.IsCategorical ? d.CategoryCount : 1);

    // A coordinate per ordinary dimension; a categorical one becomes CategoryCount features, 1 for its category.
    private static float[] Encode(double[] point, IReadOnlyList<SearchRange> dimensions)
    {
        var features = new float[FeatureCount(dimensions)];
        int at = 0;
        for (int d = 0; d < dimensions.Count; d++)
        {
            if (dimensions[d].IsCategorical)
            {
                features[at + (int)dimensions[d].FromUnit(point[d])] = 1;
                at += dimensions[d].CategoryCount;
            }
            else
            {
                features[at++] = (float)point[d];
            }
        }
        return features;
    }

    // FastTree's layout: non-negative children are nodes, a negative child ~k is leaf k; a value at or below a node's
    // threshold goes left.
    private static double Evaluate(QuantileRegressionTree tree, float[] features)
    {
        if (tree.NumberOfLeaves == 1) return tree.LeafValues[0];
        int node = 0;
        while (true)
        {
            bool left = features[tree.NumericalSplitFeatureIndexes[node]] <= tree.NumericalSplitThresholds[node];
            int next = left ? tree.LeftChild[node] : tree.RightChild[node];
            if (next < 0) return tree.LeafValues[~next];
            node = next;
        }
    }

    private sealed class Observation
    {
        public float[] Features { get; set; } = Array.Empty<float>();
        public float Label { get; set; }
    }
}
