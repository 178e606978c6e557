using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo.ModelZip;

/// <summary>
/// How a <see cref="NeoDistillTransformer"/> is stored in an ML.NET model zip. This is the one place that uses
/// ML.NET's internal save/load API (compiled against a publicized Microsoft.ML.Core, see IgnoresAccessChecksToAttribute.cs).
/// </summary>
internal static class NeoDistillModelFormat
{
    private const int PayloadVersion = 1;
    private const string WeightsEntry = "Student.safetensors";
    private const string TokenizerEntry = "Tokenizer.model";

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

    // Binary format:
    //   int32   payload version (1)
    //   string  NeoDistillOptions as JSON (columns, LoRA, loss and generation settings)
    //   string  the student's config.json
    //   string  the student's generation_config.json, or "" when it had none
    //   entry "Student.safetensors": base weights and LoRA adapters (unmerged), float32
    //   entry "Tokenizer.model":     the student's SentencePiece model
    public static void Save(ModelSaveContext ctx, CausalLM student, NeoDistillOptions options)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.Writer.Write(PayloadVersion);
        ctx.Writer.Write(JsonSerializer.Serialize(options, Json));
        ctx.Writer.Write(student.Config.ToJson());
        ctx.Writer.Write(student.GenerationConfig?.ToJson() ?? "");
        ctx.SaveBinaryStream(WeightsEntry, writer => writer.Write(WeightsToBytes(student)));
        var tokenizer = student.TokenizerFiles ?? throw new InvalidOperationException("The student has no tokenizer to save.");
        ctx.SaveBinaryStream(TokenizerEntry, writer => writer.Write(tokenizer.SentencePieceModel));
    }

    public static (CausalLM Student, NeoDistillOptions Options) Load(ModelLoadContext ctx)
    {
        ctx.CheckAtModel(GetVersionInfo());
        int version = ctx.Reader.ReadInt32();
        if (version != PayloadVersion)
            throw new InvalidDataException($"This NeoDistill model was written with payload version {version}; this library reads {PayloadVersion}.");
        var options = JsonSerializer.Deserialize<NeoDistillOptions>(ctx.Reader.ReadString(), Json)
            ?? throw new InvalidDataException("The NeoDistill model's options are missing.");
        var config = LlamaConfig.FromJson(ctx.Reader.ReadString());
        string generation = ctx.Reader.ReadString();
        byte[]? weights = null, tokenizer = null;
        if (!ctx.TryLoadBinaryStream(WeightsEntry, reader => weights = ReadAll(reader)) || weights is null)
            throw new InvalidDataException($"The model zip lacks the '{WeightsEntry}' entry.");
        if (!ctx.TryLoadBinaryStream(TokenizerEntry, reader => tokenizer = ReadAll(reader)) || tokenizer is null)
            throw new InvalidDataException($"The model zip lacks the '{TokenizerEntry}' entry.");
        return (Rebuild(config, options, weights, TokenizerFiles.FromBytes(tokenizer, TokenizerEntry),
            generation.Length == 0 ? null : GenerationConfig.FromJson(generation, "the model zip")), options);
    }

    /// <summary>An independent copy of the student (same weights and adapters).</summary>
    public static CausalLM CloneStudent(CausalLM student, NeoDistillOptions options) =>
        Rebuild(student.Config, options, WeightsToBytes(student), student.TokenizerFiles, student.GenerationConfig);

    private static CausalLM Rebuild(LlamaConfig config, NeoDistillOptions options, byte[] weights, TokenizerFiles? tokenizer,
        GenerationConfig? generation)
    {
        var model = new LlamaForCausalLM(config);
        try
        {
            LoraInjector.Apply(model, options.ToLoraSettings());
            using var reader = new SafeTensorsReader(new MemoryStream(weights, writable: false), WeightsEntry);
            HuggingFaceCheckpoint.LoadWeights(model, reader, WeightsEntry);
            model.eval();
            return new CausalLM(model, tokenizer, generation);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static byte[] WeightsToBytes(CausalLM student)
    {
        using var buffer = new MemoryStream();
        SafeTensorsWriter.Write(buffer,
            student.Model.named_parameters().Select(p => new KeyValuePair<string, TorchSharp.torch.Tensor>(p.name, p.parameter)),
            SafeTensorsDtype.Float32);
        return buffer.ToArray();
    }

    private static byte[] ReadAll(BinaryReader reader)
    {
        using var buffer = new MemoryStream();
        reader.BaseStream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
