namespace Microsoft.ML.Neo;

/// <summary>
/// One of several teachers (<see cref="TeacherMixture.Members"/>): a Hugging Face folder run in this process, or a
/// served model, with its own cache, its weight in the mixture and the name rows use to pick it.
/// </summary>
public sealed class DistillationTeacher
{
    /// <summary>
    /// How rows name this teacher in <see cref="TeacherMixture.RouteColumnName"/>, and how progress lines name it.
    /// Required, and unique among the teachers.
    /// </summary>
    public string Name { get; set; } = "";

    /// <summary>Hugging Face folder of the teacher, run in this process; or set <see cref="Endpoint"/>.</summary>
    public string? ModelPath { get; set; }

    /// <summary>The teacher on an OpenAI-compatible server instead of <see cref="ModelPath"/>; needs <see cref="CacheDirectory"/>.</summary>
    public TeacherEndpoint? Endpoint { get; set; }

    /// <summary>This teacher's own score cache; null: none for a folder (it runs online). Required for a served teacher.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Its weight in the mixture of the teachers' distributions, above 0 (normalised over the teachers). Default 1.</summary>
    public float Weight { get; set; } = 1;

    internal DistillationTeacher Clone() => new()
    {
        Name = Name, ModelPath = ModelPath, Endpoint = Endpoint?.CloneEndpoint(), CacheDirectory = CacheDirectory, Weight = Weight,
    };

    /// <summary>The member as a teacher kind: its folder or its endpoint.</summary>
    internal NeoTeacher Kind => Endpoint ?? (NeoTeacher)new TeacherModel(ModelPath ?? "");

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
            throw new ArgumentException("Each of TeacherMixture.Members needs a Name (how rows and progress lines name it).", nameof(Name));
        if (string.IsNullOrWhiteSpace(ModelPath) == (Endpoint is null))
            throw new ArgumentException($"Teacher '{Name}' needs exactly one of ModelPath (a Hugging Face folder) and Endpoint (a served model).", nameof(ModelPath));
        Endpoint?.Validate();
        if (Endpoint is not null && string.IsNullOrWhiteSpace(CacheDirectory))
            throw new ArgumentException($"Teacher '{Name}' is served; set its CacheDirectory, where its answers are kept.", nameof(CacheDirectory));
        if (!(Weight > 0) || !float.IsFinite(Weight))
            throw new ArgumentOutOfRangeException(nameof(Weight), Weight, $"Teacher '{Name}': Weight must be a positive number.");
    }
}
