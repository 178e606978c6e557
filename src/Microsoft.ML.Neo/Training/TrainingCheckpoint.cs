using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Integrity;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Training;

/// <summary>
/// Everything needed to continue a training run exactly where it stopped: the trainable parameters, AdamW's
/// moments, the random generator's state and the step reached, in one folder: <c>trainable.safetensors</c>,
/// <c>optimizer.safetensors</c>, <c>rng.bin</c>, <c>trainer_state.json</c>, and <c>checksums.json</c> (a SHA-256 of each, written
/// last, so a folder without it was never finished).
/// </summary>
/// <remarks>
/// A save writes <c>DIR.writing</c>, renames the current <c>DIR</c> to <c>DIR.previous</c> (replacing the one before),
/// then renames <c>DIR.writing</c> to <c>DIR</c>. Whatever moment a process dies at, one complete checkpoint survives:
/// <c>DIR</c>, or (between the two renames) the finished <c>DIR.writing</c> or <c>DIR.previous</c>. A restore tries them
/// newest first, checks every file against its checksum before touching the model, and falls back to the next when one
/// is damaged, saying so.
/// </remarks>
internal sealed class TrainingCheckpoint
{
    private const string StateFile = "trainer_state.json";
    private const string WeightsFile = "trainable.safetensors";
    private const string OptimizerFile = "optimizer.safetensors";
    private const string RngFile = "rng.bin";
    private const string ChecksumFile = "checksums.json";
    private static readonly string[] PayloadFiles = { WeightsFile, OptimizerFile, RngFile, StateFile };

    private sealed record State(int Step, long TokensSeen, long OptimizerSteps, string Fingerprint);

    private readonly string directory;
    private readonly string fingerprint;

    /// <param name="runDescription">Settings, data size and parameter shapes; a checkpoint resumes only the same run.</param>
    public TrainingCheckpoint(string directory, string runDescription)
    {
        this.directory = directory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(runDescription)));
    }

    private string Staging => directory + ".writing";
    private string Previous => directory + ".previous";

    /// <summary>Called when the newest checkpoint is unreadable and an older one is used instead.</summary>
    public Action<string>? OnWarning { get; init; }

    /// <summary>Whether any checkpoint (finished or not) is there to resume from.</summary>
    public bool Exists => Candidates().Any();

    /// <summary>Whether a run started with this checkpoint folder would resume (from it or one of its siblings).</summary>
    public static bool AnyIn(string directory) => new TrainingCheckpoint(directory, "").Exists;

    /// <summary>Deletes the checkpoint folder and its ".previous" and ".writing" siblings (after a run has finished).</summary>
    public static void DeleteAll(string directory)
    {
        var checkpoint = new TrainingCheckpoint(directory, "");
        foreach (var folder in new[] { checkpoint.directory, checkpoint.Previous, checkpoint.Staging })
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    public void Save(IReadOnlyList<(string Name, Parameter Parameter)> trainable, AdamW optimizer, int step, long tokensSeen)
    {
        if (Directory.Exists(Staging)) Directory.Delete(Staging, recursive: true);
        Directory.CreateDirectory(Staging);
        SafeTensorsWriter.Write(Path.Combine(Staging, WeightsFile),
            trainable.Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Parameter)), SafeTensorsDtype.Float32);
        optimizer.Save(Path.Combine(Staging, OptimizerFile));
        using (var rng = get_rng_state()) File.WriteAllBytes(Path.Combine(Staging, RngFile), rng.data<byte>().ToArray());
        File.WriteAllText(Path.Combine(Staging, StateFile), JsonSerializer.Serialize(new State(step, tokensSeen, optimizer.Steps, fingerprint)));
        var checksums = new PayloadChecksums();
        foreach (var file in PayloadFiles) checksums.Record(file, FlushedDigest(Path.Combine(Staging, file)));
        WriteDurably(Path.Combine(Staging, ChecksumFile), checksums.ToJson());

        if (Directory.Exists(directory))
        {
            if (Directory.Exists(Previous)) Directory.Delete(Previous, recursive: true);
            Directory.Move(directory, Previous);
        }
        Directory.Move(Staging, directory);
    }

    /// <summary>
    /// Restores parameters, optimizer and random state from the newest readable checkpoint; returns the step and token
    /// count reached.
    /// </summary>
    public (int Step, long TokensSeen) Restore(IReadOnlyList<(string Name, Parameter Parameter)> trainable, AdamW optimizer)
    {
        var failures = new List<UnreadableFileException>();
        foreach (var folder in Candidates())
        {
            State state;
            try
            {
                state = Verify(folder);
            }
            catch (UnreadableFileException e)
            {
                failures.Add(e);
                continue;
            }
            if (state.Fingerprint != fingerprint)
                throw new InvalidOperationException(
                    $"The checkpoint in '{folder}' was written by a different run (other options, data or model). " +
                    "Delete it, or set CheckpointDirectory to another folder.");
            foreach (var failure in failures)
                OnWarning?.Invoke($"{failure.Message} Resuming from the older checkpoint in '{folder}' (step {state.Step}) instead.");
            Load(folder, trainable, optimizer, state.OptimizerSteps);
            return (state.Step, state.TokensSeen);
        }
        var last = failures[^1];
        throw new UnreadableFileException(directory,
            $"no checkpoint in it can be read ({string.Join(" ", failures.Select(f => f.Message))})",
            FileReading.Fixes.TrainingCheckpoint, inner: last);
    }

    // Newest first. A finished DIR.writing is newer than DIR.previous, and exists without DIR only when a save died
    // between its two renames.
    private IEnumerable<string> Candidates()
    {
        bool current = File.Exists(Path.Combine(directory, StateFile));
        if (current) yield return directory;
        if (!current && File.Exists(Path.Combine(Staging, ChecksumFile))) yield return Staging;
        if (File.Exists(Path.Combine(Previous, StateFile))) yield return Previous;
    }

    // Every file against its checksum, before anything is loaded; then the state.
    private static State Verify(string folder)
    {
        string checksumPath = Path.Combine(folder, ChecksumFile);
        if (!File.Exists(checksumPath))
            throw new UnreadableFileException(folder, $"it has no {ChecksumFile}, so it was never finished or was written by an older version",
                FileReading.Fixes.TrainingCheckpoint);
        string text = File.ReadAllText(checksumPath);
        var checksums = FileReading.Guard(checksumPath, FileReading.Fixes.TrainingCheckpoint, () => PayloadChecksums.FromJson(text));
        foreach (var file in PayloadFiles)
        {
            string path = Path.Combine(folder, file);
            if (!File.Exists(path))
                throw new UnreadableFileException(path, "it is missing", FileReading.Fixes.TrainingCheckpoint);
            checksums.Verify(path, file, PayloadChecksums.Of(path), FileReading.Fixes.TrainingCheckpoint);
        }
        string statePath = Path.Combine(folder, StateFile);
        string json = File.ReadAllText(statePath);
        return FileReading.Guard(statePath, FileReading.Fixes.TrainingCheckpoint, () =>
            JsonSerializer.Deserialize<State>(json) is { Step: >= 0, TokensSeen: >= 0, OptimizerSteps: >= 0, Fingerprint: not null } state
                ? state : throw new InvalidDataException("it does not hold a step, a token count and a run fingerprint"));
    }

    private static void Load(string folder, IReadOnlyList<(string Name, Parameter Parameter)> trainable, AdamW optimizer, long optimizerSteps)
    {
        string weights = Path.Combine(folder, WeightsFile);
        using (var reader = new SafeTensorsReader(weights))
        {
            var copier = new WeightCopier(trainable, name => name);
            copier.CopyAll(reader, weights);
            copier.EnsureComplete(weights);
        }
        string optimizerPath = Path.Combine(folder, OptimizerFile);
        FileReading.Guard(optimizerPath, FileReading.Fixes.TrainingCheckpoint,
            () => optimizer.Load(optimizerPath, optimizerSteps));
        byte[] rng = File.ReadAllBytes(Path.Combine(folder, RngFile));
        using (var rngState = tensor(rng, dtype: ScalarType.Byte)) set_rng_state(rngState);
    }

    // The file's digest, after forcing it to disk: the checksum file must never reach the disk before what it vouches for.
    private static string FlushedDigest(string path)
    {
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite)) file.Flush(flushToDisk: true);
        return PayloadChecksums.Of(path);
    }

    private static void WriteDurably(string path, string text)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        file.Write(Encoding.UTF8.GetBytes(text));
        file.Flush(flushToDisk: true);
    }
}
