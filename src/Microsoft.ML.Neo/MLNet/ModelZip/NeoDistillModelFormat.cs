using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Distillation;
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
    // student's dtype and trainable part explicitly and keeps no teacher path or cache folder. All three are read.
    private const int PayloadVersion = 3;
    private const string WeightsEntry = "Student.safetensors";
    private const string Version1TokenizerEntry = "Tokenizer.model";
    private const string TokenizerEntryPrefix = "Tokenizer.";

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

    // Binary format (version 3):
    //   int32   payload version (3)
    //   string  NeoDistillOptions as JSON (columns, LoRA, loss and generation settings), without the teacher path,
    //           the teacher cache folder and the checkpoint folder
    //   string  the student spec as JSON: {"dtype": "float32" | "bfloat16", "trainable": "LoraAdapters",
    //           "lora": {"rank", "alpha", "dropout", "target_modules"}}
    //   string  the student's config.json
    //   string  the student's generation_config.json, or "" when it had none
    //   int32   number of tokenizer files, then each file's name (tokenizer.json, tokenizer_config.json, ...)
    //   entry "Student.safetensors":  base weights and trainable part (LoRA adapters unmerged), float32
    //   entry "Tokenizer.<file name>": each tokenizer file, unchanged
    // Versions 1 and 2 have no spec string (LoRA from the options, float32); version 1 stores only "Tokenizer.model".
    public static void Save(ModelSaveContext ctx, CausalLM student, NeoDistillOptions options, StudentSpec spec)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.Writer.Write(PayloadVersion);
        var saved = options.Clone();
        saved.TeacherModelPath = "";
        saved.TeacherCacheDirectory = null;
        saved.CheckpointDirectory = null;
        ctx.Writer.Write(JsonSerializer.Serialize(saved, Json));
        // A base read from a wrapper (multimodal Gemma 3) is recorded, so PEFT exports from the zip keep its module names.
        string? baseModelType = student.StoredFamily == student.Config.Family ? null : student.StoredFamily.ModelTypes[0];
        ctx.Writer.Write(SpecToJson(spec, baseModelType));
        ctx.Writer.Write(student.Config.ToJson());
        ctx.Writer.Write(student.GenerationConfig?.ToJson() ?? "");
        var tokenizer = student.TokenizerFiles ?? throw new InvalidOperationException("The student has no tokenizer to save.");
        var names = tokenizer.Files.Keys.Order(StringComparer.Ordinal).ToList();
        ctx.Writer.Write(names.Count);
        foreach (var name in names) ctx.Writer.Write(name);
        ctx.SaveBinaryStream(WeightsEntry, writer => writer.Write(WeightsToBytes(student)));
        foreach (var name in names) ctx.SaveBinaryStream(TokenizerEntryPrefix + name, writer => writer.Write(tokenizer.Files[name]));
    }

    public static (CausalLM Student, NeoDistillOptions Options, StudentSpec Spec) Load(ModelLoadContext ctx)
    {
        ctx.CheckAtModel(GetVersionInfo());
        int version = ctx.Reader.ReadInt32();
        if (version is < 1 or > PayloadVersion)
            throw new InvalidDataException($"This NeoDistill model was written with payload version {version}; this library reads 1 to {PayloadVersion}.");
        var options = JsonSerializer.Deserialize<NeoDistillOptions>(ctx.Reader.ReadString(), Json)
            ?? throw new InvalidDataException("The NeoDistill model's options are missing.");
        var (spec, baseFamily) = version >= 3 ? SpecFromJson(ctx.Reader.ReadString())
            : (new StudentSpec(TrainableSet.Adapters(options.ToLoraSettings()), ScalarType.Float32), null);
        var config = ModelConfig.FromJson(ctx.Reader.ReadString());
        string generation = ctx.Reader.ReadString();
        var generationConfig = generation.Length == 0 ? null : GenerationConfig.FromJson(generation, "the model zip");
        var entries = version == 1
            ? new Dictionary<string, string> { [TokenizerFiles.SentencePieceFile] = Version1TokenizerEntry }
            : Enumerable.Range(0, ctx.Reader.ReadInt32()).Select(_ => ctx.Reader.ReadString())
                .ToDictionary(name => name, name => TokenizerEntryPrefix + name);
        var files = entries.ToDictionary(e => e.Key, e => ReadEntry(ctx, e.Value));
        var weights = ReadEntry(ctx, WeightsEntry);
        var model = spec.Build(config);
        try
        {
            using var reader = new SafeTensorsReader(new MemoryStream(weights, writable: false), WeightsEntry);
            HuggingFaceCheckpoint.LoadWeights(model, reader, WeightsEntry);
            model.eval();
            return (new CausalLM(model, TokenizerFiles.FromFiles(files, "the model zip", generationConfig), generationConfig,
                storedFamily: baseFamily), options, spec);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

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
            throw new InvalidDataException($"The model zip lacks the '{entry}' entry.");
        return bytes;
    }

    private static byte[] ReadAll(BinaryReader reader)
    {
        using var buffer = new MemoryStream();
        reader.BaseStream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
