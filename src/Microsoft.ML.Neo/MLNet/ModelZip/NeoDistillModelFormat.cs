using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Integrity;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Tokenization;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.MLNet.ModelZip;

/// <summary>
/// How a <see cref="NeoDistillTransformer"/> is stored in an ML.NET model zip. This is the one place that uses
/// ML.NET's internal save/load API (compiled against a publicized Microsoft.ML.Core, see IgnoresAccessChecksToAttribute.cs).
/// </summary>
internal static class NeoDistillModelFormat
{
    // Version 1 stored only a SentencePiece tokenizer.model; version 2 stores every tokenizer file; version 3 records the
    // student's dtype and trainable part explicitly and keeps no teacher path or cache folder; version 4 records a
    // SHA-256 of every entry; version 5 stores the DistilledModelRecord instead of the whole options; version 6 is
    // version 5 with a LoRA variant (DoRA, rsLoRA, PiSSA) in the spec, which an older library must not read as plain
    // LoRA. A student without a variant is still written as version 5. All six are read; the first three say in a log
    // line that they cannot be verified.
    private const int PayloadVersion = 6;
    private const int PlainPayloadVersion = 5;
    private const string WeightsEntry = "Student.safetensors";
    private const string Version1TokenizerEntry = "Tokenizer.model";
    private const string TokenizerEntryPrefix = "Tokenizer.";
    private const string SettingsChecksumKey = "(settings)"; // the options, spec, configs and file names in the model stream

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static VersionInfo GetVersionInfo() => new(
        modelSignature: "NEODSTLL",
        verWrittenCur: 0x00010001,
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: NeoDistillTransformer.LoaderSignature,
        // The short name, so a zip saved by one version of the library loads with another.
        loaderAssemblyName: typeof(NeoDistillTransformer).Assembly.GetName().Name);

    // Binary format (version 5):
    //   int32   payload version (5)
    //   string  the DistilledModelRecord as JSON: the prompt and output columns, the generation settings and the base
    //           model's folder name (versions 1 to 4: the whole NeoDistillOptions as JSON, of which only these are read)
    //   string  the student spec as JSON: {"dtype": "float32" | "bfloat16", "trainable": "LoraAdapters",
    //           "lora": {"rank", "alpha", "dropout", "target_modules"}}, and in version 6 the LoRA variant's
    //           "use_dora", "use_rslora" and "init" ("Default" | "Pissa")
    //   string  the student's config.json
    //   string  the student's generation_config.json, or "" when it had none
    //   int32   number of tokenizer files, then each file's name (tokenizer.json, tokenizer_config.json, ...)
    //   string  JSON {entry name: SHA-256 hex} of every entry below, and of the strings above under "(settings)"
    //   entry "Student.safetensors":  base weights and trainable part (LoRA adapters unmerged), float32
    //   entry "Tokenizer.<file name>": each tokenizer file, unchanged
    // Versions 1 and 2 have no spec string (LoRA from the options, float32); version 1 stores only "Tokenizer.model";
    // versions 1 to 3 have no checksums.
    public static void Save(ModelSaveContext ctx, CausalLM student, DistilledModelRecord record, StudentSpec spec)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.Writer.Write(spec.Trainable.Lora is { IsVariant: true } ? PayloadVersion : PlainPayloadVersion);
        // A base read from a wrapper (multimodal Gemma 3) is recorded, so PEFT exports from the zip keep its module names.
        string? baseModelType = student.StoredFamily == student.Config.Family ? null : student.StoredFamily.ModelTypes[0];
        var tokenizer = student.TokenizerFiles ?? throw new InvalidOperationException("The student has no tokenizer to save.");
        var names = tokenizer.Files.Keys.Order(StringComparer.Ordinal).ToList();
        var settings = new[]
        {
            record.ToJson(), SpecToJson(spec, baseModelType), student.Config.ToJson(),
            student.GenerationConfig?.ToJson() ?? "",
        };
        foreach (var text in settings) ctx.Writer.Write(text);
        ctx.Writer.Write(names.Count);
        foreach (var name in names) ctx.Writer.Write(name);
        byte[] weights = WeightsToBytes(student);
        var checksums = new PayloadChecksums();
        checksums.Record(SettingsChecksumKey, SettingsBytes(settings, names));
        checksums.Record(WeightsEntry, weights);
        foreach (var name in names) checksums.Record(TokenizerEntryPrefix + name, tokenizer.Files[name]);
        ctx.Writer.Write(checksums.ToJson());
        ctx.SaveBinaryStream(WeightsEntry, writer => writer.Write(weights));
        foreach (var name in names) ctx.SaveBinaryStream(TokenizerEntryPrefix + name, writer => writer.Write(tokenizer.Files[name]));
    }

    /// <param name="log">Told what the load could not check (an older zip without checksums).</param>
    public static (CausalLM Student, DistilledModelRecord Record, StudentSpec Spec) Load(ModelLoadContext ctx, Action<string> log)
    {
        ctx.CheckAtModel(GetVersionInfo());
        string zip = ModelZipName.Of(ctx);
        int version = ctx.Reader.ReadInt32();
        if (version > PayloadVersion)
            throw new NotSupportedException($"'{zip}' was saved by a newer Microsoft.ML.Neo (NeoDistill payload version {version}; " +
                                            $"this library reads 1 to {PayloadVersion}). Update the Microsoft.ML.Neo package to load it.");
        // Everything below reads bytes that may be damaged: any failure names the zip and says what to do.
        return FileReading.Guard(zip, FileReading.Fixes.ModelZip, () => LoadPayload(ctx, zip, version, log));
    }

    private static (CausalLM Student, DistilledModelRecord Record, StudentSpec Spec) LoadPayload(ModelLoadContext ctx, string zip, int version,
        Action<string> log)
    {
        if (version < 1) throw new InvalidDataException($"its NeoDistill payload version is {version}, which no library wrote");
        // Read every setting first, so the checksum is checked before any of them is believed.
        string recordJson = ctx.Reader.ReadString();
        string? specJson = version >= 3 ? ctx.Reader.ReadString() : null;
        string configJson = ctx.Reader.ReadString();
        string generation = ctx.Reader.ReadString();
        int fileCount = version == 1 ? 0 : ctx.Reader.ReadInt32();
        if (fileCount is < 0 or > 64) throw new InvalidDataException($"it lists {fileCount} tokenizer files");
        var names = Enumerable.Range(0, fileCount).Select(_ => ctx.Reader.ReadString()).ToList();
        PayloadChecksums? checksums = version >= 4 ? PayloadChecksums.FromJson(ctx.Reader.ReadString()) : null;
        if (checksums is null)
            log($"'{zip}' was saved before model zips recorded checksums (payload version {version}); its weights load unverified. " +
                "Save the model again to add them.");
        else
            checksums.Verify(zip, SettingsChecksumKey, SettingsBytes(new[] { recordJson, specJson!, configJson, generation }, names),
                FileReading.Fixes.ModelZip);

        var (record, (spec, baseFamily)) = version >= 5 ? (DistilledModelRecord.FromJson(recordJson), SpecFromJson(specJson!))
            : FromOptions(recordJson, specJson);
        var config = ModelConfig.FromJson(configJson);
        var generationConfig = generation.Length == 0 ? null : GenerationConfig.FromJson(generation, zip);
        var entries = version == 1
            ? new Dictionary<string, string> { [TokenizerFiles.SentencePieceFile] = Version1TokenizerEntry }
            : names.ToDictionary(name => name, name => TokenizerEntryPrefix + name);
        byte[] ReadVerified(string entry)
        {
            var bytes = ReadEntry(ctx, entry);
            checksums?.Verify(zip, entry, bytes, FileReading.Fixes.ModelZip);
            return bytes;
        }
        var files = entries.ToDictionary(e => e.Key, e => ReadVerified(e.Value));
        var weights = ReadVerified(WeightsEntry);
        var model = spec.Build(config);
        try
        {
            using var reader = new SafeTensorsReader(new MemoryStream(weights, writable: false), WeightsEntry);
            HuggingFaceCheckpoint.LoadWeights(model, reader, WeightsEntry);
            model.eval();
            return (new CausalLM(model, TokenizerFiles.FromFiles(files, zip, generationConfig), generationConfig,
                storedFamily: baseFamily), record, spec);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    // Versions 1 to 4 stored the whole options: the record is what of them a transformer uses. Versions 1 and 2 have no
    // spec: their adapters are the options' LoRA settings, float32. They are read through a record of their own
    // (LegacyOptions), never the options class, so renaming an option cannot break an old zip.
    private static (DistilledModelRecord, (StudentSpec, Modeling.Families.ModelFamily?)) FromOptions(string optionsJson, string? specJson)
    {
        var options = JsonSerializer.Deserialize<LegacyOptions>(optionsJson, Json)
            ?? throw new InvalidDataException("The NeoDistill model's options are missing.");
        var spec = specJson is not null ? SpecFromJson(specJson)
            : (new StudentSpec(TrainableSet.Adapters(new LoraSettings
            {
                Rank = options.LoraRank, Alpha = options.LoraAlpha, Dropout = options.LoraDropout, TargetModules = options.LoraTargetModules.ToArray(),
            }), ScalarType.Float32), null);
        var record = new DistilledModelRecord(options.PromptColumnName, options.OutputColumnName,
            new GenerationOptions { MaxNewTokens = options.MaxNewTokens, Temperature = options.GenerationTemperature, TopP = options.TopP, Seed = options.Seed },
            string.IsNullOrWhiteSpace(options.StudentModelPath) ? null : Path.GetFileName(Path.TrimEndingDirectorySeparator(options.StudentModelPath.Trim())))
        {
            ResponseColumnName = options.ResponseColumnName,
        };
        record.Generation.Validate();
        return (record, spec);
    }

    // The options JSON of payload versions 1 to 4, as those versions named its members (their defaults where absent).
    private sealed class LegacyOptions
    {
        public string PromptColumnName { get; set; } = "Prompt";
        public string ResponseColumnName { get; set; } = "Response";
        public string OutputColumnName { get; set; } = "Completion";
        public string StudentModelPath { get; set; } = "";
        public int MaxNewTokens { get; set; } = 64;
        public float GenerationTemperature { get; set; }
        public float TopP { get; set; } = 1f;
        public int Seed { get; set; } = 1;
        public int LoraRank { get; set; } = 8;
        public float LoraAlpha { get; set; } = 16;
        public float LoraDropout { get; set; }
        public string[] LoraTargetModules { get; set; } = LoraSettings.AllLinearLayers.ToArray();
    }

    // The settings strings and tokenizer file names, as the bytes their checksum covers.
    private static byte[] SettingsBytes(IEnumerable<string> settings, IEnumerable<string> tokenizerFiles) =>
        System.Text.Encoding.UTF8.GetBytes(string.Join('\0', settings.Concat(tokenizerFiles)));

    private static string SpecToJson(StudentSpec spec, string? baseModelType)
    {
        var json = new JsonObject
        {
            ["dtype"] = PrecisionSupport.Name(spec.Precision),
            ["trainable"] = spec.Trainable.Kind.ToString(),
        };
        if (baseModelType is not null) json["base_model_type"] = baseModelType;
        if (spec.Trainable.Lora is { } lora)
        {
            json["lora"] = new JsonObject
            {
                ["rank"] = lora.Rank, ["alpha"] = lora.Alpha, ["dropout"] = lora.Dropout,
                ["target_modules"] = new JsonArray(lora.TargetModules.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
            };
            if (lora.IsVariant)
            {
                json["lora"]!["use_dora"] = lora.UseDora;
                json["lora"]!["use_rslora"] = lora.UseRsLora;
                json["lora"]!["init"] = lora.Initialization.ToString();
            }
        }
        return json.ToJsonString();
    }

    /// <returns>The spec, and the family of the checkpoint the base came from when it is not the config's own.</returns>
    private static (StudentSpec Spec, Modeling.Families.ModelFamily? BaseFamily) SpecFromJson(string text)
    {
        var json = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException("The NeoDistill model's student spec is not a JSON object.");
        var precision = (string?)json["dtype"] switch
        {
            "float32" => ScalarType.Float32,
            "bfloat16" => ScalarType.BFloat16,
            var other => throw new InvalidDataException($"The NeoDistill model's student dtype '{other}' is not float32 or bfloat16."),
        };
        if (!Enum.TryParse<TrainableKind>((string?)json["trainable"], out var kind))
            throw new InvalidDataException($"The NeoDistill model's trainable kind '{json["trainable"]}' is unknown to this library.");
        LoraSettings? lora = json["lora"] is JsonObject l ? new LoraSettings
        {
            Rank = (int)l["rank"]!, Alpha = (float)l["alpha"]!, Dropout = (float)l["dropout"]!,
            TargetModules = l["target_modules"]!.AsArray().Select(m => (string)m!).ToArray(),
            UseDora = (bool?)l["use_dora"] ?? false,
            UseRsLora = (bool?)l["use_rslora"] ?? false,
            Initialization = (string?)l["init"] is { } init
                ? Enum.TryParse<LoraInitialization>(init, out var parsed) && Enum.IsDefined(parsed) ? parsed
                    : throw new InvalidDataException($"The NeoDistill model's LoRA initialization '{init}' is unknown to this library.")
                : LoraInitialization.Default,
        } : null;
        if (kind == TrainableKind.LoraAdapters && lora is null)
            throw new InvalidDataException("The NeoDistill model's student spec names LoRA adapters but no LoRA settings.");
        var baseFamily = (string?)json["base_model_type"] is { } baseType ? Modeling.Families.ModelFamilies.ForModelType(baseType) : null;
        return (new StudentSpec(new TrainableSet(kind, lora), precision), baseFamily);
    }

    // Float32 whatever the spec's dtype: adapters are float32, and a bfloat16 base round-trips through float32 exactly.
    private static byte[] WeightsToBytes(CausalLM student)
    {
        using var buffer = new MemoryStream();
        SafeTensorsWriter.Write(buffer,
            student.Model.named_parameters().Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)),
            SafeTensorsDtype.Float32);
        return buffer.ToArray();
    }

    private static byte[] ReadEntry(ModelLoadContext ctx, string entry)
    {
        byte[]? bytes = null;
        if (!ctx.TryLoadBinaryStream(entry, reader => bytes = ReadAll(reader)) || bytes is null)
            throw new InvalidDataException($"the '{entry}' entry is missing");
        return bytes;
    }

    private static byte[] ReadAll(BinaryReader reader)
    {
        using var buffer = new MemoryStream();
        reader.BaseStream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
