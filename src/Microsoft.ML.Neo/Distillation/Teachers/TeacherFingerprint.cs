using System.Security.Cryptography;
using Microsoft.ML.Neo.Checkpoints;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>A SHA-256 over a model folder's config.json and every weight file, so cached teacher outputs follow the teacher.</summary>
internal static class TeacherFingerprint
{
    public static string Of(string directory)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(File.ReadAllBytes(Path.Combine(directory, "config.json")));
        foreach (var weights in HuggingFaceCheckpoint.WeightFiles(directory))
        {
            using var stream = File.OpenRead(weights);
            var buffer = new byte[1 << 20];
            for (int read; (read = stream.Read(buffer, 0, buffer.Length)) > 0;) hash.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
