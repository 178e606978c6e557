using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Neo.Checkpoints;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Training;

/// <summary>
/// Everything needed to continue a training run exactly where it stopped: the trainable parameters, AdamW's
/// moments, the random generator's state and the step reached. Written atomically into one folder:
/// <c>trainable.safetensors</c>, <c>optimizer.bin</c>, <c>rng.bin</c>, <c>trainer_state.json</c>.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private const string StateFile = "trainer_state.json";
    private const string WeightsFile = "trainable.safetensors";
    private const string OptimizerFile = "optimizer.bin";
    private const string RngFile = "rng.bin";

    private sealed record State(int Step, long TokensSeen, string Fingerprint);

    private readonly string directory;
    private readonly string fingerprint;

    /// <param name="runDescription">Settings, data size and parameter shapes; a checkpoint resumes only the same run.</param>
    public TrainingCheckpoint(string directory, string runDescription)
    {
        this.directory = directory;
        fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(runDescription)));
    }

    public bool Exists => File.Exists(Path.Combine(directory, StateFile));

    public void Save(IReadOnlyList<(string Name, Parameter Parameter)> trainable, optim.Optimizer optimizer, int step, long tokensSeen)
    {
        // Write beside the old checkpoint and swap, so a crash mid-write never destroys the last good one.
        string staging = directory.TrimEnd(Path.DirectorySeparatorChar) + ".writing";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        SafeTensorsWriter.Write(Path.Combine(staging, WeightsFile),
            trainable.Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Parameter)), SafeTensorsDtype.Float32);
        ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(Path.Combine(staging, OptimizerFile));
        using (var rng = get_rng_state()) File.WriteAllBytes(Path.Combine(staging, RngFile), rng.data<byte>().ToArray());
        File.WriteAllText(Path.Combine(staging, StateFile), JsonSerializer.Serialize(new State(step, tokensSeen, fingerprint)));

        string previous = directory.TrimEnd(Path.DirectorySeparatorChar) + ".previous";
        if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
        if (Directory.Exists(directory)) Directory.Move(directory, previous);
        Directory.Move(staging, directory);
        if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
    }

    /// <summary>Restores parameters, optimizer and random state; returns the step and token count reached.</summary>
    public (int Step, long TokensSeen) Restore(IReadOnlyList<(string Name, Parameter Parameter)> trainable, optim.Optimizer optimizer)
    {
        var state = JsonSerializer.Deserialize<State>(File.ReadAllText(Path.Combine(directory, StateFile)))
            ?? throw new InvalidDataException($"'{directory}': unreadable {StateFile}.");
        if (state.Fingerprint != fingerprint)
            throw new InvalidOperationException(
                $"The checkpoint in '{directory}' was written by a different run (other options, data or model). " +
                "Delete it, or set CheckpointDirectory to another folder.");
        string weights = Path.Combine(directory, WeightsFile);
        using (var reader = new SafeTensorsReader(weights))
        {
            var copier = new WeightCopier(trainable, name => name);
            copier.CopyAll(reader, weights);
            copier.EnsureComplete(weights);
        }
        ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(Path.Combine(directory, OptimizerFile));
        byte[] rng = File.ReadAllBytes(Path.Combine(directory, RngFile));
        using (var rngState = tensor(rng, dtype: ScalarType.Byte)) set_rng_state(rngState);
        return (state.Step, state.TokensSeen);
    }
}
