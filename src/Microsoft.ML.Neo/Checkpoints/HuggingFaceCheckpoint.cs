using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Checkpoints;

/// <summary>Reads and writes a model in Hugging Face's folder layout: <c>config.json</c> plus <c>model.safetensors</c>.</summary>
internal static class HuggingFaceCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";

    /// <summary>Throws a <see cref="DirectoryNotFoundException"/> or <see cref="InvalidDataException"/> that says what is missing.</summary>
    public static void EnsureIsCheckpoint(string directory, string role)
    {
        if (string.IsNullOrWhiteSpace(directory))
            throw new ArgumentException($"The {role} model path is empty; set it to a Hugging Face model folder.");
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"The {role} model folder '{directory}' does not exist.");
        if (!File.Exists(Path.Combine(directory, ConfigFile)))
            throw new InvalidDataException(
                $"The {role} model folder '{directory}' is not a Hugging Face checkpoint: it has no {ConfigFile}.");
        if (!File.Exists(Path.Combine(directory, WeightsFile)))
            throw new InvalidDataException(
                $"The {role} model folder '{directory}' has no {WeightsFile}; only safetensors checkpoints are supported.");
    }

    public static LlamaConfig ReadConfig(string directory) =>
        LlamaConfig.FromJson(File.ReadAllText(Path.Combine(directory, ConfigFile)));

    public static LlamaForCausalLM Load(string directory)
    {
        EnsureIsCheckpoint(directory, "requested");
        var model = new LlamaForCausalLM(ReadConfig(directory));
        try
        {
            LoadWeights(model, Path.Combine(directory, WeightsFile));
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>Copies every tensor of the file into the parameter of the same name, reading one tensor at a time.</summary>
    public static void LoadWeights(nn.Module model, string safetensorsPath)
    {
        using var reader = new SafeTensorsReader(safetensorsPath);
        LoadWeights(model, reader, safetensorsPath);
    }

    public static void LoadWeights(nn.Module model, SafeTensorsReader reader, string safetensorsPath)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in reader.Tensors.Keys)
        {
            if (!parameters.TryGetValue(name, out var target))
            {
                // transformers sometimes stores these buffers; they are recomputed here.
                if (name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)) continue;
                throw new InvalidDataException($"'{safetensorsPath}': tensor '{name}' does not belong to this model architecture.");
            }
            using var value = reader.ReadFloat32(name);
            if (!value.shape.SequenceEqual(target.shape))
                throw new InvalidDataException(
                    $"'{safetensorsPath}': tensor '{name}' has shape [{string.Join(", ", value.shape)}], " +
                    $"the model expects [{string.Join(", ", target.shape)}].");
            using (no_grad()) target.copy_(value);
            seen.Add(name);
        }
        var missing = parameters.Keys.Where(n => !seen.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException(
                $"'{safetensorsPath}' lacks {missing.Count} weight(s) of the model, e.g. '{missing[0]}'.");
    }

    public static void Save(LlamaForCausalLM model, string directory, SafeTensorsDtype dtype)
    {
        Directory.CreateDirectory(directory);
        var config = model.Config with { TorchDtype = dtype.ToTorchDtype() };
        File.WriteAllText(Path.Combine(directory, ConfigFile), config.ToJson());
        SaveWeights(model, Path.Combine(directory, WeightsFile), dtype);
    }

    public static void SaveWeights(nn.Module model, string path, SafeTensorsDtype dtype) =>
        SafeTensorsWriter.Write(path,
            model.named_parameters().Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)),
            dtype, new Dictionary<string, string> { ["format"] = "pt" });
}
