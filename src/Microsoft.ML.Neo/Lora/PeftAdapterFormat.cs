using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Modeling.Families;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Lora;

/// <summary>
/// LoRA adapters in Hugging Face PEFT's folder format: <c>adapter_config.json</c> and <c>adapter_model.safetensors</c>
/// with PEFT's tensor names, e.g. <c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>, and PEFT's
/// own fields for the variants: <c>use_dora</c> (with each layer's <c>lora_magnitude_vector</c>), <c>use_rslora</c> and
/// <c>init_lora_weights</c>. A PiSSA adapter is written as PEFT converts one for sharing: a plain LoRA adapter of twice
/// the rank on the untouched base (A' = [A; A0], B' = [B, −B0], the scale kept), since PEFT's own PiSSA adapters need
/// a residual base model beside them.
/// </summary>
internal static class PeftAdapterFormat
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    private const string PeftPrefix = "base_model.model.";
    private const string OurA = ".lora.lora_A", OurB = ".lora.lora_B", OurMagnitude = ".lora.lora_magnitude";
    private const string PeftMagnitude = ".lora_magnitude_vector";

    /// <summary>PEFT's name for one of our adapter parameters.</summary>
    public static string ToPeftName(string name) =>
        PeftPrefix + name.Replace(OurA, ".lora_A.weight", StringComparison.Ordinal).Replace(OurB, ".lora_B.weight", StringComparison.Ordinal)
            .Replace(OurMagnitude, PeftMagnitude, StringComparison.Ordinal);

    /// <summary>Our parameter name for a PEFT tensor name.</summary>
    public static string FromPeftName(string name)
    {
        if (!name.StartsWith(PeftPrefix, StringComparison.Ordinal))
            throw new InvalidDataException($"PEFT tensor '{name}' does not start with '{PeftPrefix}'.");
        string ours = name[PeftPrefix.Length..];
        // PEFT writes DoRA's magnitudes without a ".weight" suffix; some tools add one.
        if (ours.EndsWith(PeftMagnitude + ".weight", StringComparison.Ordinal)) ours = ours[..^".weight".Length];
        return ours.Replace(".lora_A.weight", OurA, StringComparison.Ordinal)
            .Replace(".lora_B.weight", OurB, StringComparison.Ordinal).Replace(PeftMagnitude, OurMagnitude, StringComparison.Ordinal);
    }

    /// <summary>The settings of the adapters attached to a model, read back from the modules.</summary>
    public static LoraSettings SettingsOf(DecoderForCausalLM model)
    {
        var adapted = model.Projections().Where(p => p.Linear.Adapter is not null).ToList();
        if (adapted.Count == 0) throw new InvalidOperationException("The model has no LoRA adapters to export.");
        return adapted[0].Linear.Adapter!.Settings with
        {
            TargetModules = adapted.Select(p => p.Path[(p.Path.LastIndexOf('.') + 1)..]).Distinct().ToArray(),
        };
    }

    // The settings PEFT is told, and each adapted layer's tensors under our names: PiSSA converted to plain LoRA.
    private static (LoraSettings Settings, List<(string Name, Tensor Tensor)> Tensors) Exported(DecoderForCausalLM model)
    {
        var settings = SettingsOf(model);
        var tensors = new List<(string, Tensor)>();
        foreach (var (path, linear) in model.Projections())
        {
            if (linear.Adapter is not { } adapter) continue;
            if (adapter.Start is var (a0, b0))
            {
                tensors.Add((path + OurA, cat(new Tensor[] { adapter.A, a0 }, 0)));          // [2r, in]
                tensors.Add((path + OurB, cat(new Tensor[] { adapter.B, b0.neg() }, 1)));    // [out, 2r]
            }
            else
            {
                tensors.Add((path + OurA, adapter.A));
                tensors.Add((path + OurB, adapter.B));
            }
            if (adapter is DoraAdapter dora) tensors.Add((path + OurMagnitude, dora.Magnitude));
        }
        if (settings.Initialization == LoraInitialization.Pissa)
        {
            // Twice the rank at the same scale: alpha doubles, or grows by √2 under rsLoRA's alpha / √r.
            settings = settings with
            {
                Rank = 2 * settings.Rank, Alpha = settings.UseRsLora ? settings.Alpha * MathF.Sqrt(2) : 2 * settings.Alpha,
                Initialization = LoraInitialization.Default,
            };
        }
        return (settings, tensors);
    }

    /// <param name="baseFamily">The family of the checkpoint the adapters apply to; its module names are the tensor names
    /// (a multimodal Gemma 3 base names its text model's modules <c>model.language_model.…</c>).</param>
    public static void Save(DecoderForCausalLM model, string directory, string? baseModelPath, ModelFamily? baseFamily = null)
    {
        baseFamily ??= model.Config.Family;
        using var scope = NewDisposeScope();
        var (settings, tensors) = Exported(model);
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
            ["use_rslora"] = settings.UseRsLora,
            ["use_dora"] = settings.UseDora,
            ["init_lora_weights"] = true,
            ["inference_mode"] = true,
        };
        File.WriteAllText(Path.Combine(directory, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        SafeTensorsWriter.Write(Path.Combine(directory, WeightsFile),
            tensors.Select(t => new KeyValuePair<string, Tensor>(ToPeftName(baseFamily.StoredNameOf(t.Name)), t.Tensor)),
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
        if (root["fan_in_fan_out"]?.GetValue<bool>() == true)
            throw new NotSupportedException($"{ConfigFile}: 'fan_in_fan_out' is true, which is not supported (it is for GPT-2's Conv1D layers).");
        string bias = root["bias"]?.GetValue<string>() ?? "none";
        if (bias != "none") throw new NotSupportedException($"{ConfigFile}: 'bias' is '{bias}'; only 'none' is supported.");
        int rank = root["r"]?.GetValue<int>() ?? throw new InvalidDataException($"{ConfigFile}: 'r' is missing.");
        CheckInitialization(root["init_lora_weights"]);
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
            UseDora = root["use_dora"]?.GetValue<bool>() ?? false,
            UseRsLora = root["use_rslora"]?.GetValue<bool>() ?? false,
        };
    }

    // PEFT's init_lora_weights: true, false, "gaussian", "pissa", "pissa_niter_N", "olora", "loftq", ... Only how the
    // adapters started, which loaded weights replace: read as plain LoRA weights on the base the folder names. A PiSSA
    // adapter saved by PEFT without conversion applies to the residual model PEFT saved beside it, which must then be
    // that base.
    private static void CheckInitialization(JsonNode? value)
    {
        if (value is null || value.GetValueKind() is JsonValueKind.True or JsonValueKind.False or JsonValueKind.String) return;
        throw new InvalidDataException($"{ConfigFile}: 'init_lora_weights' is {value.ToJsonString()}; PEFT writes true, false or a method's name.");
    }

    /// <summary>Attaches the folder's adapters to a base model and loads their weights.</summary>
    /// <param name="baseFamily">The family of the checkpoint the adapters were trained on (<see cref="Save"/>).</param>
    public static void Load(DecoderForCausalLM model, string directory, ModelFamily? baseFamily = null)
    {
        baseFamily ??= model.Config.Family;
        LoraInjector.Apply(model, ReadSettings(directory), initialize: false);
        string path = Path.Combine(directory, WeightsFile);
        using var reader = new SafeTensorsReader(path);
        var copier = new WeightCopier(LoraInjector.AdapterParameters(model), name => baseFamily.ParameterNameOf(FromPeftName(name)));
        copier.CopyAll(reader, path);
        copier.EnsureComplete(path);
    }
}
