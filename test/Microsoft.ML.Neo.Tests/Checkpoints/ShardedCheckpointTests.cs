using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Checkpoints;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Checkpoints;

[TestClass]
public sealed class ShardedCheckpointTests
{
    /// <summary>Splits a folder's model.safetensors into two shards plus model.safetensors.index.json.</summary>
    private static void Shard(string directory)
    {
        string single = Path.Combine(directory, "model.safetensors");
        var map = new JsonObject();
        using (var reader = new SafeTensorsReader(single))
        {
            var names = reader.Tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
            for (int shard = 0; shard < 2; shard++)
            {
                string file = $"model-0000{shard + 1}-of-00002.safetensors";
                var part = names.Where((_, i) => i % 2 == shard).ToList();
                var tensors = part.Select(n => new KeyValuePair<string, Tensor>(n, reader.ReadFloat32(n))).ToList();
                SafeTensorsWriter.Write(Path.Combine(directory, file), tensors, SafeTensorsDtype.BFloat16);
                foreach (var (name, value) in tensors)
                {
                    map[name] = file;
                    value.Dispose();
                }
            }
        }
        File.Delete(single);
        File.WriteAllText(Path.Combine(directory, "model.safetensors.index.json"),
            new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = 0 }, ["weight_map"] = map }.ToJsonString());
    }

    [TestMethod]
    public void ShardedFolderLoadsLikeTheSingleFile()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Sub("single"), TinyCheckpoints.Config(), seed: 50, dtype: SafeTensorsDtype.BFloat16);
        TinyCheckpoints.Create(folder.Sub("sharded"), TinyCheckpoints.Config(), seed: 50, dtype: SafeTensorsDtype.BFloat16);
        Shard(folder.Sub("sharded"));
        Assert.AreEqual(2, HuggingFaceCheckpoint.WeightFiles(folder.Sub("sharded")).Count);

        using var single = CausalLM.FromPretrained(folder.Sub("single"));
        using var sharded = CausalLM.FromPretrained(folder.Sub("sharded"));
        var tokens = new[] { 1, 20, 30, 40 };
        CollectionAssert.AreEqual(single.Logits(tokens).Cast<float>().ToArray(), sharded.Logits(tokens).Cast<float>().ToArray());
    }

    [TestMethod]
    public void MissingShardIsNamed()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 51);
        Shard(folder.Path);
        File.Delete(Path.Combine(folder.Path, "model-00002-of-00002.safetensors"));
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => CausalLM.FromPretrained(folder.Path));
        StringAssert.Contains(error.Message, "model-00002-of-00002.safetensors");
    }
}
