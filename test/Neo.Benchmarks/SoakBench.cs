using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Neo.Cli.Commands;
using Neo.Cli.Terminal;

using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Benchmarks;

/// <summary>
/// Counts native crashes in many short distillations (the settings under which libtorch's "unknown scalar type" crash
/// was seen: the embedded styled pair, logit KD, LoRA rank 8), each in its own process so that a crash that kills the
/// process is counted too.
///   neo-bench soak [--runs 20] [--steps 200] [--gc-stress]
/// <c>--gc-stress</c> runs a thread that forces garbage collections and finalizers without pause, which makes the race
/// between a finalizer and a native call that TorchSharp leaves open thousands of times likelier than in normal runs:
/// a measurement that finishes in minutes instead of days.
/// </summary>
internal static class SoakBench
{
    private const int ScalarCrashExit = 70, OtherFailureExit = 71;
    private const string StepLine = "step "; // the child reports each finished step, so a run that dies counts what it did

    public static Command Create()
    {
        var runs = With("--runs", 20, "Distillations to run, each in a fresh process.");
        var steps = With("--steps", 200, "Training steps per distillation.");
        var gcStress = With("--gc-stress", false, "Force garbage collections continuously during each run (amplifies the finalizer race).");
        var phase = With("--phase", "all", "all: run and count; run: one distillation (the child's part).").AcceptOnlyFromAmong("all", "run");
        var seed = With("--seed", 1, "Seed of the one distillation (--phase run).");
        var command = new Command("soak",
            "Counts native crashes (libtorch's scalar race) over many short distillations, each in its own process, and reports the rate per 1,000 steps with a 95% upper bound.")
        {
            runs, steps, gcStress, phase, seed,
        }.WithExample("neo-bench soak --runs 20 --steps 200 --gc-stress");
        command.SetWork((parse, console, _) => parse.GetValue(phase) == "run"
            ? RunOne(parse.GetValue(seed), parse.GetValue(steps), parse.GetValue(gcStress))
            : RunAll(parse.GetValue(runs), parse.GetValue(steps), parse.GetValue(gcStress)));
        return command;
    }

    private static int RunAll(int runs, int steps, bool gcStress)
    {
        if (runs < 1 || steps < 1) throw new ArgumentException("--runs and --steps must be at least 1.");
        int scalarCrashes = 0, processDeaths = 0, otherFailures = 0;
        long totalSteps = 0;
        var clock = Stopwatch.StartNew();
        for (int run = 1; run <= runs; run++)
        {
            using var child = NeoChild.Start(new[] { "soak", "--phase", "run", "--seed", run.ToString(), "--steps", steps.ToString(),
                "--gc-stress", gcStress ? "true" : "false" }, redirectErrors: true);
            var errors = child.StandardError.ReadToEndAsync();
            string output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            var lines = output.Split('\n').Select(l => l.Trim()).ToList();
            int done = lines.Where(l => l.StartsWith(StepLine, StringComparison.Ordinal))
                .Select(l => int.Parse(l[StepLine.Length..], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
            totalSteps += done;
            string outcome = child.ExitCode switch
            {
                0 => "ok",
                ScalarCrashExit => "libtorch scalar error",
                OtherFailureExit => "other failure",
                _ => $"process died (exit {child.ExitCode})",
            };
            if (child.ExitCode == ScalarCrashExit) scalarCrashes++;
            else if (child.ExitCode == OtherFailureExit) otherFailures++;
            else if (child.ExitCode != 0) processDeaths++;
            string detail = child.ExitCode == 0 ? "" : " " + TellingLine(lines.Where(l => !l.StartsWith(StepLine, StringComparison.Ordinal)), errors.Result);
            Console.WriteLine($"run {run}/{runs}: {outcome} after {done} steps{detail} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        totalSteps = Math.Max(totalSteps, 1);
        int crashes = scalarCrashes + processDeaths;
        // Poisson 95% upper bound: 3/n (rule of three) for no events; otherwise a normal approximation on the count.
        double upper = crashes == 0 ? 3.0 / totalSteps : (crashes + 1.96 * Math.Sqrt(crashes) + 1.92) / totalSteps;
        Console.WriteLine($"soak: {runs} runs of up to {steps} steps, {totalSteps:N0} steps done, gc stress {(gcStress ? "on" : "off")}: " +
                          $"{scalarCrashes} libtorch scalar errors, {processDeaths} process deaths, {otherFailures} other failures; " +
                          $"native crash rate {1000.0 * crashes / totalSteps:F3} per 1,000 steps (95% upper bound {1000 * upper:F3}).");
        return otherFailures > 0 ? ExitCodes.Failure : ExitCodes.Success;
    }

    // The line that says what stopped the run: the child's own report, else the runtime's last words on standard error.
    private static string TellingLine(IEnumerable<string> output, string errors)
    {
        var all = output.Concat(errors.Split('\n').Select(l => l.Trim())).ToList();
        return all.FirstOrDefault(l => l.Contains("scalar", StringComparison.OrdinalIgnoreCase) || l.Contains("Exception"))
            ?? all.LastOrDefault(l => l.Length > 0) ?? "";
    }

    private static int RunOne(int seed, int steps, bool gcStress)
    {
        using var stop = new CancellationTokenSource();
        var stress = gcStress ? new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true } : null;
        try
        {
            var ml = new MLContext(seed);
            var problems = EmbeddedRecipes.DistillationProblems(styled: true, 256);
            var data = ml.Data.LoadFromEnumerable(problems.Select(PromptResponseRow.From).ToList());
            var options = new NeoDistillOptions
            {
                Teacher = new TeacherModel(Path.Combine(EmbeddedModels, "styled-teacher")),
                StudentModelPath = Path.Combine(EmbeddedModels, "styled-student"),
                LoraRank = 8, BatchSize = 8, Epochs = 100, MaxSteps = steps, LearningRate = 1e-3f, Seed = seed,
                Progress = new ProgressCallback<Microsoft.ML.Neo.TrainingProgress>(p => Console.WriteLine(StepLine + p.Step.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            };
            stress?.Start();
            using var model = ml.Transforms.NeoDistill(options).Fit(data);
            return ExitCodes.Success;
        }
        catch (Exception e) when (NativeRetry.IsScalarRace(e))
        {
            // The message, then where in managed code the call came from (the frames name the operation that raced).
            Console.WriteLine(e.Message.Split('\n')[0] + " at " + string.Join(" < ", (e.StackTrace ?? "").Split('\n')
                .Select(l => l.Trim()).Where(l => l.StartsWith("at Microsoft.ML.Neo", StringComparison.Ordinal) || l.StartsWith("at TorchSharp", StringComparison.Ordinal))
                .Take(4).Select(l => l[3..].Split(" in ")[0])));
            return ScalarCrashExit;
        }
        catch (Exception e)
        {
            Console.WriteLine(e.GetType().Name + ": " + e.Message.Split('\n')[0]);
            return OtherFailureExit;
        }
        finally
        {
            stop.Cancel();
        }
    }
}
