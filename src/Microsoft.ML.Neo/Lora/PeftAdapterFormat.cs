using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Modeling.Families;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Lora;

/// <summary>
/// LoRA adapters in Hugging Face PEFT's folder format: <c>adapter_config.json</c> and <c>adapter_model.safetensors</c>
/// with PEFT's tensor names, e.g. <c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>.
/// </summary>
internal static class PeftAdapterFormat
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    private const string PeftPrefix = "base_model.model.";
    private const string OurA = ".lora.lora_A", OurB = ".lora.lora_B";

    /// <summary>PEFT's name for one of our adapter parameters.</summary>
    public static string ToPeftName(string name) =>
        PeftPrefix + name.Replace(OurA, ".lora_A.weight", StringComparison.Ordinal).Replace(OurB, ".lora_B.weight", StringComparison.Ordinal);

    /// <summary>Our parameter name for a PEFT tensor name.</summary>
    public static string FromPeftName(string name)
    {
        if (!name.StartsWith(PeftPrefix, StringComparison.Ordinal))
            throw new InvalidDataException($"PEFT tensor '{name}' does not start with '{PeftPrefix}'.");
        return name[PeftPrefix.Length..].Replace(".lora_A.weight", OurA, StringComparison.Ordinal)
            .Replace(".lora_B.weight", OurB, StringComparison.Ordinal);
    }

    /// <summary>The settings of the adapters attached to a model, read back from the modules.</summary>
    public static LoraSettings SettingsOf(DecoderForCausalLM model)
    {
        var adapted = model.Projections().Where(p => p.Linear.Adapter is not null).ToList();
        if (adapted.Count == 0) throw new InvalidOperationException("The model has no LoRA adapters to export.");
        var first = adapted[0].Linear.Adapter!;
        return new LoraSettings
        {
            Rank = first.Rank, Alpha = (float)first.Alpha, Dropout = (float)first.Dropout,
            TargetModules = adapted.Select(p => p.Path[(p.Path.LastIndexOf('.') + 1)..]).Distinct().ToArray(),
        };
    }

    /// <param name="baseFamily">The family of the checkpoint the adapters apply to; its module names are the tensor names
    /// (a multimodal Gemma 3 base names its text model's modules <c>model.language_model.…</c>).</param>
    public static void Save(DecoderForCausalLM model, string directory, string? baseModelPath, ModelFamily? baseFamily = null)
    {
        baseFamily ??= model.Config.Family;
        var settings = SettingsOf(model);
        Directory.CreateDirectory(directory);
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = baseModelPath,
            ["r"] = settings.Rank,
            ["lora_alpha"] = settings.Alpha,
            ["lora_dropout"] = settings.Dropout,
            ["target_modules"] = new JsonArray(settings.TargetModules.Select(m => (JsonNode)m!).ToArray()),
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["use_rslora"] = false,
            ["use_dora"] = false,
            ["inference_mode"] = true,
        };
        File.WriteAllText(Path.Combine(directory, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        SafeTensorsWriter.Write(Path.Combine(directory, WeightsFile),
            LoraInjector.AdapterParameters(model).Select(p => new KeyValuePair<string, Tensor>(ToPeftName(baseFamily.StoredNameOf(p.Name)), p.Parameter)),
            SafeTensorsDtype.Float32, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Reads the adapter settings of a PEFT folder, refusing variants this library does not implement.</summary>
    public static LoraSettings ReadSettings(string directory)
    {
        string path = Path.Combine(directory, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{directory}' has no {ConfigFile}; it is not a PEFT adapter folder.", path);
        string text = File.ReadAllText(path);
        return Integrity.FileReading.Guard(path, Integrity.FileReading.Fixes.PeftAdapter, () => ParseSettings(text, path));
    }

    private static LoraSettings ParseSettings(string text, string path)
    {
        var root = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"'{path}' is not a JSON object.");
        string peftType = root["peft_type"]?.GetValue<string>() ?? "";
        if (peftType != "LORA") throw new NotSupportedException($"{ConfigFile}: 'peft_type' is '{peftType}'; only LORA adapters are supported.");
        foreach (var flag in new[] { "use_dora", "use_rslora", "fan_in_fan_out" })
        {
            if (root[flag]?.GetValue<bool>() == true) throw new NotSupportedException($"{ConfigFile}: '{flag}' is true, which is not supported.");
        }
        string bias = root["bias"]?.GetValue<string>() ?? "none";
        if (bias != "none") throw new NotSupportedException($"{ConfigFile}: 'bias' is '{bias}'; only 'none' is supported.");
        int rank = root["r"]?.GetValue<int>() ?? throw new InvalidDataException($"{ConfigFile}: 'r' is missing.");
        var targets = root["target_modules"] switch
        {
            JsonArray array => array.Select(n => n!.GetValue<string>()).ToArray(),
            JsonValue single => new[] { single.GetValue<string>() },
            _ => throw new InvalidDataException($"{ConfigFile}: 'target_modules' is missing."),
        };
        var unknown = targets.Where(t => !LoraSettings.ValidTargetNames.Contains(t)).ToList();
        if (unknown.Count > 0)
            throw new NotSupportedException($"{ConfigFile}: target module '{unknown[0]}' is not one of {string.Join(", ", LoraSettings.ValidTargetNames)}.");
        return new LoraSettings
        {
            Rank = rank,
            Alpha = (float)(root["lora_alpha"]?.GetValue<double>() ?? 8),
            Dropout = (float)(root["lora_dropout"]?.GetValue<double>() ?? 0),
            TargetModules = targets,
        };
    }

    /// <summary>Attaches the folder's adapters to a base model and loads their weights.</summary>
    /// <param name="baseFamily">The family of the checkpoint the adapters were trained on (<see cref="Save"/>).</param>
    public static void Load(DecoderForCausalLM model, string directory, ModelFamily? baseFamily = null)
    {
        baseFamily ??= model.Config.Family;
        LoraInjector.Apply(model, ReadSettings(directory));
        string path = Path.Combine(directory, WeightsFile);
        using var reader = new SafeTensorsReader(path);
        var copier = new WeightCopier(LoraInjector.AdapterParameters(model), name => baseFamily.ParameterNameOf(FromPeftName(name)));
        copier.CopyAll(reader, path);
        copier.EnsureComplete(path);
    }
}
