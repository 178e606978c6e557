using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Tests.MLNet;

namespace Microsoft.ML.Neo.Tests.Integrity;

/// <summary>
/// Every damaged file the library reads is reported as an <see cref="UnreadableFileException"/> that names the file (and
/// the entry), says what is wrong in words and what to do; the parser's own exception is kept as the inner one.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class DamagedFileTests
{
    private static UnreadableFileException Unreadable(Action load, string path)
    {
        var error = Assert.ThrowsExactly<UnreadableFileException>(load);
        Assert.AreEqual(path, error.FilePath);
        StringAssert.Contains(error.Message, path);
        Assert.IsFalse(error.Message.Contains("BytePositionInLine", StringComparison.Ordinal), error.Message);
        return error;
    }

    // ML.NET calls a transformer's loader by reflection, so what the loader throws reaches Model.Load's caller wrapped in a
    // TargetInvocationException; ModelZipLoader (what the neo tool and NeoServer load with) unwraps it.
    private static Action LoadZip(string zip) => () => Microsoft.ML.Neo.MLNet.ModelZip.ModelZipLoader.Load(new MLContext().Model, zip);

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException) yield return inner;
    }

    [TestMethod]
    public void DamagedModelFolderFilesAreNamedWithTheFix()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 3);
        string config = folder.Sub("config.json");
        string original = File.ReadAllText(config);

        File.WriteAllText(config, "{ hidden_size: 32 }");
        var error = Unreadable(() => CausalLM.FromPretrained(folder.Path), config);
        StringAssert.Contains(error.Message, "not valid JSON at line 1");
        StringAssert.Contains(error.Message, "Download the model folder again");
        Assert.IsTrue(Chain(error).OfType<JsonException>().Any(), "the parser's exception is kept");
        File.WriteAllText(config, original);

        string generation = folder.Sub("generation_config.json");
        File.WriteAllText(generation, """{"eos_token_id": "two"}""");
        error = Unreadable(() => CausalLM.FromPretrained(folder.Path), generation);
        StringAssert.Contains(error.Message, "\"two\" is not a token id");
        File.Delete(generation);

        string weights = folder.Sub("model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]); // a copy cut short
        error = Unreadable(() => CausalLM.FromPretrained(folder.Path), weights);
        StringAssert.Contains(error.Message, "truncated");

        File.WriteAllBytes(weights, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3 });
        error = Unreadable(() => CausalLM.FromPretrained(folder.Path), weights);
        StringAssert.Contains(error.Message, "header length");
        File.WriteAllBytes(weights, bytes);

        File.WriteAllText(folder.Sub("model.safetensors.index.json"), """{"weight_map": {"lm_head.weight": "../elsewhere.safetensors"}}""");
        error = Unreadable(() => CausalLM.FromPretrained(folder.Path), folder.Sub("model.safetensors.index.json"));
        StringAssert.Contains(error.Message, "not a file name in the folder");
    }

    [TestMethod]
    public void ADamagedTokenizerFileIsNamedButLogitsStillWork()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 3);
        File.WriteAllText(folder.Sub("tokenizer_config.json"), """{"bos_token": 7}""");
        using var model = CausalLM.FromPretrained(folder.Path);
        Assert.IsNull(model.Tokenizer);
        StringAssert.Contains(model.TokenizerWarning, folder.Sub("tokenizer_config.json"));
        StringAssert.Contains(model.TokenizerWarning, "bos_token");
    }

    private static string SavedZip(DistillFixture fixture, MLContext ml)
    {
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(4));
        string zip = fixture.Sub("student.zip");
        using (var model = ml.Transforms.NeoDistill(fixture.Options()).Fit(data)) ml.Model.Save(model, data.Schema, zip);
        return zip;
    }

    // Rewrites one zip entry's (uncompressed) bytes, keeping the zip itself valid: what a bad sector or a bit flip in a
    // copy does to the data without the zip container noticing.
    internal static void ChangeEntry(string zip, string entryName, Func<byte[], byte[]> change)
    {
        using var archive = ZipFile.Open(zip, ZipArchiveMode.Update);
        var entry = archive.Entries.Single(e => e.Name == entryName);
        byte[] bytes;
        using (var stream = entry.Open())
        using (var buffer = new MemoryStream())
        {
            stream.CopyTo(buffer);
            bytes = buffer.ToArray();
        }
        string fullName = entry.FullName;
        entry.Delete();
        using var replaced = archive.CreateEntry(fullName).Open();
        replaced.Write(change(bytes));
    }

    [TestMethod]
    public void AModelZipWhoseWeightsChangedAfterSavingIsRefused()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        string zip = SavedZip(fixture, ml);
        ChangeEntry(zip, "Student.safetensors", bytes =>
        {
            bytes[^5] ^= 0x01; // one bit of the last weight
            return bytes;
        });
        var error = Unreadable(LoadZip(zip), zip);
        Assert.AreEqual("Student.safetensors", error.Entry);
        StringAssert.Contains(error.Message, "SHA-256");
        StringAssert.Contains(error.Message, "save the model again");
    }

    [TestMethod]
    public void AModelZipWithDamagedTokenizerOrSettingsIsRefused()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        string zip = SavedZip(fixture, ml);
        string copy = fixture.Sub("copy.zip");
        File.Copy(zip, copy);
        ChangeEntry(copy, "Tokenizer.tokenizer.model", bytes => bytes[..^3]);
        Assert.AreEqual("Tokenizer.tokenizer.model", Unreadable(LoadZip(copy), copy).Entry);

        // The settings (model record, spec, configs) live in the transformer's Model.key stream; a changed generation
        // length there would silently change what the zip generates.
        ChangeEntry(zip, "Model.key", bytes =>
        {
            int at = System.Text.Encoding.Latin1.GetString(bytes).IndexOf("\"max_new_tokens\":8", StringComparison.Ordinal);
            Assert.IsTrue(at > 0, "the model record is stored as JSON");
            bytes[at + "\"max_new_tokens\":".Length] = (byte)'9';
            return bytes;
        });
        var error = Unreadable(LoadZip(zip), zip);
        Assert.AreEqual("(settings)", error.Entry);
    }

    [TestMethod]
    public void AnOlderZipWithoutChecksumsLoadsAndSaysSo()
    {
        string zip = Path.Combine(AppContext.BaseDirectory, "MLNet", "ModelZip", "Fixtures", "payload-v2.zip");
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        using var loaded = (NeoDistillTransformer)ml.Model.Load(zip, out _);
        Assert.IsTrue(messages.Any(m => m.Contains("saved before model zips recorded checksums") && m.Contains("payload version 2")),
            string.Join("\n", messages.Where(m => m.Contains("Neo", StringComparison.Ordinal)).Take(5)));
    }
}
