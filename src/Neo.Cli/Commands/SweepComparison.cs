using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Evaluation;
using Microsoft.ML.Neo.Sweeps;

namespace Neo.Cli.Commands;

/// <summary>
/// The sweep's closing comparison on the test data, over several seeds: the best configuration, the defaults, LoRA alone
/// (the defaults with KD weight 0) and SFT of every weight, so a gain is read against what the teacher adds and against
/// the noise between seeds rather than against one seed's luck.
/// </summary>
internal static class SweepComparison
{
    /// <summary>One row: its name, what it trains with, and its test accuracy per seed.</summary>
    public sealed record Row(string Name, string Settings, IReadOnlyList<double> Accuracies)
    {
        public double Mean => Accuracies.Average();

        /// <summary>The sample standard deviation; 0 for one seed.</summary>
        public double Deviation => Accuracies.Count < 2 ? 0 : Math.Sqrt(Accuracies.Sum(a => (a - Mean) * (a - Mean)) / (Accuracies.Count - 1));
    }

    /// <summary>The rows, each trained once per seed on <paramref name="train"/> and measured on <paramref name="test"/>.</summary>
    /// <param name="bestModel">The sweep's best model, trained with the defaults' seed: reused for that seed instead of trained again.</param>
    public static List<Row> Run(MLContext ml, IDataView train, IDataView test, NeoDistillOptions defaults, SweepParameters best,
        NeoDistillTransformer bestModel, IReadOnlyList<int> seeds, Action<string> report)
    {
        var sft = defaults.Clone();
        sft.Finetuning = Finetuning.Full;
        sft.KdWeight = 0;
        var loraAlone = defaults.Clone();
        loraAlone.KdWeight = 0;
        var rows = new (string Name, NeoDistillOptions Options, string Settings)[]
        {
            ("best configuration", best.ApplyTo(defaults), best.ToString()),
            ("defaults (LLM-NEO)", defaults, Describe(defaults)),
            ("LoRA alone (KD weight 0)", loraAlone, Describe(loraAlone)),
            ("SFT of every weight", sft, $"full, lr {sft.LearningRate.ToString("G3", CultureInfo.InvariantCulture)}"),
        };
        var result = new List<Row>();
        for (int r = 0; r < rows.Length; r++)
        {
            var (name, options, settings) = rows[r];
            var accuracies = new List<double>();
            foreach (int seed in seeds)
            {
                double accuracy;
                if (r == 0 && seed == defaults.Seed)
                {
                    accuracy = ml.EvaluateAnswers(bestModel.Transform(test)).Accuracy;
                }
                else
                {
                    var seeded = options.Clone();
                    seeded.Seed = seed;
                    using var model = ml.Transforms.NeoDistill(seeded).Fit(train);
                    accuracy = ml.EvaluateAnswers(model.Transform(test)).Accuracy;
                }
                accuracies.Add(accuracy);
                report($"{name}, seed {seed}: test accuracy {100 * accuracy:F1} %");
            }
            result.Add(new Row(name, settings, accuracies));
        }
        return result;
    }

    /// <summary>The rows as a Markdown table: mean ± sd over the seeds, and each seed's.</summary>
    public static string ToTable(IReadOnlyList<Row> rows, IReadOnlyList<int> seeds)
    {
        var lines = new List<string>
        {
            $"| configuration | settings | test accuracy, mean ± sd over {Words.Count(seeds.Count, "seed")} | per seed ({string.Join(", ", seeds)}) |",
            "|---|---|---|---|",
        };
        lines.AddRange(rows.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"| {r.Name} | {r.Settings} | {100 * r.Mean:F1} ± {100 * r.Deviation:F1} % | {string.Join(", ", r.Accuracies.Select(a => (100 * a).ToString("F1", CultureInfo.InvariantCulture)))} |")));
        return string.Join(Environment.NewLine, lines);
    }

    private static string Describe(NeoDistillOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"rank {o.LoraRank}, T {o.Temperature:G3}, kd {o.KdWeight:F2}, lr {o.LearningRate:G3}");
}
