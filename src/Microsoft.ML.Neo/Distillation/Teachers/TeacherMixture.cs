using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Teachers;

namespace Microsoft.ML.Neo;

/// <summary>
/// Several teachers, each a folder or a served model with its own cache (<see cref="Members"/>). Without
/// <see cref="RouteColumnName"/> every example learns from the weighted mixture of their distributions,
/// Σ wᵢ pᵢ / Σ wᵢ over the union of their top <see cref="NeoDistillOptions.TeacherScoreTopK"/> ids (64 when it is 0);
/// with it, each row learns from the teacher it names. Logits mode only; with a cross-tokenizer loss, rows must be routed.
/// </summary>
public sealed class TeacherMixture : NeoTeacher
{
    /// <summary>The K per teacher and position when <see cref="NeoDistillOptions.TeacherScoreTopK"/> is 0.</summary>
    public const int DefaultMixtureTopK = 64;

    /// <summary>The teachers, at least one, with unique names.</summary>
    public List<DistillationTeacher> Members { get; set; } = new();

    /// <summary>
    /// A text column naming each row's teacher (a <see cref="DistillationTeacher.Name"/>); null (default): every row
    /// learns from the mixture of all of them.
    /// </summary>
    public string? RouteColumnName { get; set; }

    internal bool IsRouted => !string.IsNullOrWhiteSpace(RouteColumnName);

    internal override int DefaultTopK => DefaultMixtureTopK;

    internal override string Identity =>
        $"{(IsRouted ? "routed" : "mixture")}:{string.Join(";", Members.Select(m => $"{m.Name}={m.Weight}@{m.Kind.Identity}"))}";

    internal override string Describe() => $"{Members.Count} teachers ({(IsRouted ? "routed per row" : "mixed")})";

    internal override void Validate(NeoDistillOptions options)
    {
        if (Members.Count == 0)
            throw new ArgumentException("TeacherMixture.Members is empty; list the teachers (each a DistillationTeacher with a Name and a ModelPath or Endpoint).", nameof(Members));
        foreach (var member in Members) member.Validate();
        if (Members.Select(t => t.Name).Distinct(StringComparer.Ordinal).Count() != Members.Count)
            throw new ArgumentException($"TeacherMixture.Members' names must be unique; they are {string.Join(", ", Members.Select(t => $"'{t.Name}'"))}.", nameof(Members));
        if (options.Mode != DistillationMode.Logits)
            throw new ArgumentException("Several teachers score responses (Mode = Logits); they do not write them together.", nameof(NeoDistillOptions.Mode));
        if (!IsRouted && options.CrossTokenizer != CrossTokenizerLoss.None)
            throw new ArgumentException("A mixture of teachers is formed over shared ids; with CrossTokenizer, route each row to one teacher " +
                "(TeacherMixture.RouteColumnName).", nameof(RouteColumnName));
    }

    internal override PretrainedFolder? Check(PretrainedFolder student, TeacherSettings settings, Action<string> warn)
    {
        foreach (var member in Members) member.Kind.Check(student, MemberSettings(member, settings), warn);
        return null;
    }

    internal override ITeacher Open(TeacherSettings settings, TeacherOpening opening)
    {
        var opened = new List<(string Name, float Weight, ITeacher Teacher)>();
        try
        {
            foreach (var member in Members)
                opened.Add((member.Name, member.Weight, member.Kind.Open(MemberSettings(member, settings), opening with { Folder = null })));
        }
        catch
        {
            foreach (var (_, _, member) in opened) member.Dispose();
            throw;
        }
        return new TeacherEnsemble(opened, IsRouted, settings.CacheTopK);
    }

    // Each member keeps its answers in its own cache, with the run's K and encoding.
    private static TeacherSettings MemberSettings(DistillationTeacher member, TeacherSettings settings) => settings with { CacheDirectory = member.CacheDirectory };

    internal override NeoTeacher Clone() => new TeacherMixture { Members = Members.Select(m => m.Clone()).ToList(), RouteColumnName = RouteColumnName };

    internal override JsonObject ToRecord() => new()
    {
        ["kind"] = "mixture", ["route_column"] = RouteColumnName,
        ["members"] = new JsonArray(Members.Select(m => (JsonNode)new JsonObject
        {
            ["name"] = m.Name, ["weight"] = m.Weight, ["cache"] = m.CacheDirectory, ["teacher"] = m.Kind.ToRecord(),
        }).ToArray()),
    };
}
