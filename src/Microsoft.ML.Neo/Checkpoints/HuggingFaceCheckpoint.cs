using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Integrity;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Checkpoints;

/// <summary>Reads and writes a model in Hugging Face's folder layout: <c>config.json</c> plus <c>model.safetensors</c>.</summary>
internal static class HuggingFaceCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string ShardIndexFile = "model.safetensors.index.json";

    /// <summary>How the neo tool names its built-in models (<c>embedded:styled-teacher</c>); the library has none.</summary>
    public const string EmbeddedModelPrefix = "embedded:";

    /// <summary>Throws a <see cref="DirectoryNotFoundException"/> or <see cref="InvalidDataException"/> that says what is missing.</summary>
    public static void EnsureIsCheckpoint(string directory, string role)
    {
        if (string.IsNullOrWhiteSpace(directory))
            throw new ArgumentException($"The {role} model path is empty; set it to a Hugging Face model folder.");
        if (!Directory.Exists(directory) && directory.StartsWith(EmbeddedModelPrefix, StringComparison.Ordinal))
            throw new DirectoryNotFoundException(
                $"The {role} model '{directory}' names a model built into the neo tool, which only the tool resolves. " +
                $"Write the embedded pair and its data to folders with `neo init --out DIR` (DIR/teacher, DIR/student, DIR/train.jsonl) and pass the folder, " +
                $"or, in the repository, use src/Neo.Cli/EmbeddedModels/{directory[EmbeddedModelPrefix.Length..]}.");
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"The {role} model folder '{directory}' does not exist.");
        if (!File.Exists(Path.Combine(directory, ConfigFile)))
            throw new InvalidDataException(
                $"The {role} model folder '{directory}' is not a Hugging Face checkpoint: it has no {ConfigFile}.");
        if (!File.Exists(Path.Combine(directory, WeightsFile)) && !File.Exists(Path.Combine(directory, ShardIndexFile)))
            throw new InvalidDataException(
                $"The {role} model folder '{directory}' has neither {WeightsFile} nor {ShardIndexFile}; only safetensors checkpoints are supported.");
    }

    /// <param name="storedFamily">The family the folder's own <c>model_type</c> names; it knows how the folder stores
    /// its tensors (a multimodal folder reads as its text model's config, with its tensors under another prefix).</param>
    public static ModelConfig ReadConfig(string directory, out Modeling.Families.ModelFamily storedFamily)
    {
        string path = Path.Combine(directory, ConfigFile);
        string json = File.ReadAllText(path);
        Modeling.Families.ModelFamily? family = null;
        var config = FileReading.Guard(path, FileReading.Fixes.ModelFolder, () => ModelConfig.FromJson(json, out family));
        storedFamily = family!;
        return config;
    }

    /// <summary>
    /// Loads <c>model.safetensors</c>, or every shard named by <c>model.safetensors.index.json</c>, one tensor at a time.
    /// </summary>
    public static void LoadFolderWeights(nn.Module model, string directory, Func<string, string?>? toParameterName = null)
    {
        var loader = toParameterName is null
            ? new WeightCopier(model)
            : new WeightCopier(model.named_parameters().Select(p => (p.name, p.parameter)), toParameterName);
        foreach (var file in WeightFiles(directory))
        {
            using var reader = new SafeTensorsReader(file);
            loader.CopyAll(reader, file);
        }
        loader.EnsureComplete(directory);
    }

    /// <summary>Copies every tensor of one safetensors source into the model; every model weight must be covered.</summary>
    public static void LoadWeights(nn.Module model, SafeTensorsReader reader, string source)
    {
        var loader = new WeightCopier(model);
        loader.CopyAll(reader, source);
        loader.EnsureComplete(source);
    }

    /// <summary>The safetensors files of a folder: the single file, or the shards its index lists (each once, in order).</summary>
    public static IReadOnlyList<string> WeightFiles(string directory)
    {
        string index = Path.Combine(directory, ShardIndexFile);
        if (!File.Exists(index)) return new[] { Path.Combine(directory, WeightsFile) };
        string text = File.ReadAllText(index);
        var files = FileReading.Guard(index, FileReading.Fixes.ModelFolder, () =>
        {
            var root = JsonNode.Parse(text) as JsonObject;
            if (root?["weight_map"] is not JsonObject map || map.Count == 0)
                throw new InvalidDataException("it has no 'weight_map' object listing the tensors");
            return map.Select(entry => entry.Value is JsonValue value && value.TryGetValue(out string? name) && IsPlainFileName(name)
                    ? name
                    : throw new InvalidDataException($"tensor '{entry.Key}' maps to {entry.Value?.ToJsonString() ?? "null"}, not a file name in the folder"))
                .Distinct(StringComparer.Ordinal).Select(file => Path.Combine(directory, file)).ToList();
        });
        foreach (var file in files)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"'{index}' names the shard '{Path.GetFileName(file)}', which is missing.", file);
        }
        return files;
    }

    // A shard name is a file beside the index: no folders, so an index cannot point outside the model folder.
    private static bool IsPlainFileName(string name) =>
        name.Length > 0 && name == Path.GetFileName(name) && name is not ("." or "..");

    public static void Save(DecoderForCausalLM model, string directory, SafeTensorsDtype dtype)
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
