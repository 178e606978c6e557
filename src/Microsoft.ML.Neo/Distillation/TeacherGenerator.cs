using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Modeling;

namespace Microsoft.ML.Neo.Distillation;

/// <summary>The teacher's greedy response to a prompt, read from the cache when it holds one and written to it otherwise.</summary>
internal static class TeacherGenerator
{
    /// <param name="fingerprint">The teacher's <see cref="TeacherFingerprint"/>; only used with a cache.</param>
    public static int[] Generate(LlamaForCausalLM teacher, int[] promptIds, int maxNewTokens, IReadOnlyCollection<int> stopIds,
        TeacherGenerationCache? cache, string fingerprint)
    {
        int maxNew = Math.Min(maxNewTokens, teacher.Config.ContextLength - promptIds.Length);
        if (maxNew <= 0) return Array.Empty<int>();
        string? key = cache is null ? null : TeacherGenerationCache.Key(fingerprint, promptIds, maxNew, stopIds);
        if (cache is not null && cache.TryGet(key!, out var cached)) return cached;
        var generated = TokenGenerator.Generate(teacher, promptIds, new GenerationOptions { MaxNewTokens = maxNew }, stopIds);
        cache?.Add(key!, generated);
        return generated;
    }
}
