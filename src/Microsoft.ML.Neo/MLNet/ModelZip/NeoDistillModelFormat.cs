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
    // Version 1 stored only a SentencePiece tokenizer.model; version 2 stores every tokenizer file. Both are read.
    private const int PayloadVersion = 2;
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

    // Binary format:
    //   int32   payload version (2)
    //   string  NeoDistillOptions as JSON (columns, LoRA, loss and generation settings)
    //   string  the student's config.json
    //   string  the student's generation_config.json, or "" when it had none
    //   int32   number of tokenizer files, then each file's name (tokenizer.json, tokenizer_config.json, ...)
    //   entry "Student.safetensors":  base weights and LoRA adapters (unmerged), float32
    //   entry "Tokenizer.<file name>": each tokenizer file, unchanged
    public static void Save(ModelSaveContext ctx, CausalLM student, NeoDistillOptions options)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.Writer.Write(PayloadVersion);
        ctx.Writer.Write(JsonSerializer.Serialize(options, Json));
        ctx.Writer.Write(student.Config.ToJson());
        ctx.Writer.Write(student.GenerationConfig?.ToJson() ?? "");
        var tokenizer = student.TokenizerFiles ?? throw new InvalidOperationException("The student has no tokenizer to save.");
        var names = tokenizer.Files.Keys.Order(StringComparer.Ordinal).ToList();
        ctx.Writer.Write(names.Count);
        foreach (var name in names) ctx.Writer.Write(name);
        ctx.SaveBinaryStream(WeightsEntry, writer => writer.Write(WeightsToBytes(student)));
        foreach (var name in names) ctx.SaveBinaryStream(TokenizerEntryPrefix + name, writer => writer.Write(tokenizer.Files[name]));
    }

    public static (CausalLM Student, NeoDistillOptions Options) Load(ModelLoadContext ctx)
    {
        ctx.CheckAtModel(GetVersionInfo());
        int version = ctx.Reader.ReadInt32();
        if (version is < 1 or > PayloadVersion)
            throw new InvalidDataException($"This NeoDistill model was written with payload version {version}; this library reads 1 to {PayloadVersion}.");
        var options = JsonSerializer.Deserialize<NeoDistillOptions>(ctx.Reader.ReadString(), Json)
            ?? throw new InvalidDataException("The NeoDistill model's options are missing.");
        var config = LlamaConfig.FromJson(ctx.Reader.ReadString());
        string generation = ctx.Reader.ReadString();
        var generationConfig = generation.Length == 0 ? null : GenerationConfig.FromJson(generation, "the model zip");
        var entries = version == 1
            ? new Dictionary<string, string> { [TokenizerFiles.SentencePieceFile] = Version1TokenizerEntry }
            : Enumerable.Range(0, ctx.Reader.ReadInt32()).Select(_ => ctx.Reader.ReadString())
                .ToDictionary(name => name, name => TokenizerEntryPrefix + name);
        var files = entries.ToDictionary(e => e.Key, e => ReadEntry(ctx, e.Value));
        var weights = ReadEntry(ctx, WeightsEntry);
        return (Rebuild(config, options, weights, TokenizerFiles.FromFiles(files, "the model zip", generationConfig), generationConfig), options);
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
