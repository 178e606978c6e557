using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>Where a run's teacher comes from, and whether a cache sits in front of it.</summary>
/// <param name="ModelPath">Hugging Face folder of a teacher loaded into this process.</param>
/// <param name="CacheDirectory">Folder of the generation and score caches; null or empty for none.</param>
/// <param name="ScoreTopK">With a cache: how many of the teacher's logits per response position are kept.</param>
internal sealed record TeacherSource(string ModelPath, string? CacheDirectory, int ScoreTopK)
{
    public bool IsCached => !string.IsNullOrWhiteSpace(CacheDirectory);

    /// <summary>Loads the teacher (and opens its cache), ready for <see cref="ITeacher"/> calls.</summary>
    public ITeacher Open(Device device, ScalarType dtype)
    {
        var local = LocalTeacher.Load(ModelPath, device, dtype);
        return IsCached ? new CachedTeacher(local, CacheDirectory!, ScoreTopK) : local;
    }
}
