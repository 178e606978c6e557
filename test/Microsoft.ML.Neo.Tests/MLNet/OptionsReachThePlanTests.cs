using System.Collections;
using System.Reflection;
using System.Text;

namespace Microsoft.ML.Neo.Tests.MLNet;

/// <summary>
/// Every public setting of <see cref="NeoDistillOptions"/> reaches the run: changing it changes the plan that
/// <c>ToPlan</c> builds (or the generation settings of the fitted transformer), unless it is listed below with where it
/// goes instead. A new option that is wired nowhere fails this test, and so does a listed one that reaches the plan.
/// </summary>
[TestClass]
public sealed class OptionsReachThePlanTests
{
    // The options the plan does not carry, and what reads them instead.
    private static readonly Dictionary<string, string> ReadElsewhere = new(StringComparer.Ordinal)
    {
        [nameof(NeoDistillOptions.PromptColumnName)] = "the estimator's input column",
        [nameof(NeoDistillOptions.ResponseColumnName)] = "the estimator's input column",
        [nameof(NeoDistillOptions.OutputColumnName)] = "the transformer's output column",
        [nameof(NeoDistillOptions.AnswerColumnName)] = "the estimator's input column (the rows' answers)",
        [nameof(NeoDistillOptions.ValidationData)] = "the estimator, which reads the rows into the plan's Validation",
        [nameof(NeoDistillOptions.ValidationEverySteps)] = "the estimator's validation schedule",
        [nameof(NeoDistillOptions.ValidateAnswerAccuracy)] = "the estimator's validation schedule",
        [nameof(NeoDistillOptions.Cancellation)] = "the run's hooks, not a setting",
        [nameof(NeoDistillOptions.Progress)] = "the run's hooks, not a setting",
        [nameof(NeoDistillOptions.StopEarly)] = "the run's hooks, not a setting",
    };

    [TestMethod]
    public void EveryOptionReachesThePlanOrIsListedWithWhereItGoes()
    {
        var baseline = Options();
        string before = Reach(baseline);
        var unreached = new List<string>();
        var properties = typeof(NeoDistillOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        Assert.IsTrue(properties.Count > 60, $"{properties.Count} settable options");
        foreach (var property in properties)
        {
            var options = Options();
            property.SetValue(options, Changed(property, property.GetValue(options)));
            if (Reach(options) == before) unreached.Add(property.Name);
        }
        CollectionAssert.AreEquivalent(ReadElsewhere.Keys.ToList(), unreached,
            "not in the plan: " + string.Join(", ", unreached) + "; listed: " + string.Join(", ", ReadElsewhere.Keys));
    }

    // A teacher that needs no cache, so a cache folder is the option's own choice.
    private static NeoDistillOptions Options() => new() { Teacher = new TeacherModel("teacher"), StudentModelPath = "student" };

    // What the run reads: the plan, the generation settings the transformer keeps, and the teacher's own record.
    private static string Reach(NeoDistillOptions options) =>
        Dump(options.ToPlan(), 0) + "|" + Dump(options.ToGenerationOptions(), 0) + "|" + options.Teacher?.ToJson();

    // Another value of the property's type than the default it has.
    private static object? Changed(PropertyInfo property, object? value)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return type switch
        {
            _ when type == typeof(bool) => !(bool)value!,
            _ when type == typeof(int) => (int)(value ?? 0) + 3,
            _ when type == typeof(float) => (float)(value ?? 0f) * 0.5f + 0.125f,
            _ when type == typeof(double) => (double)(value ?? 0.0) * 0.5 + 0.125,
            _ when type == typeof(string) => "changed",
            _ when type == typeof(string[]) => new[] { "q_proj" },
            _ when type.IsEnum => Enum.GetValues(type).Cast<object>().First(v => !v.Equals(value)),
            _ when type == typeof(NeoTeacher) => new TeacherModel("another-teacher"),
            _ when type == typeof(CancellationToken) => new CancellationTokenSource().Token,
            _ when type == typeof(IProgress<TrainingProgress>) => new Progress<TrainingProgress>(),
            _ when type == typeof(Func<TrainingProgress, bool>) => (Func<TrainingProgress, bool>)(_ => false),
            _ when type == typeof(IDataView) => new MLContext().Data.LoadFromEnumerable(new[] { new { Prompt = "p", Response = "r" } }),
            _ => throw new AssertFailedException($"{property.Name}: a {type.Name}; teach this test a second value of it."),
        };
    }

    // Every public property, recursively: enough to see whether two plans differ.
    private static string Dump(object? value, int depth)
    {
        if (value is null) return "null";
        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum || value is string or decimal) return Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!;
        if (depth > 6) return type.Name;
        if (value is IEnumerable items) return "[" + string.Join(",", items.Cast<object?>().Select(i => Dump(i, depth + 1))) + "]";
        var text = new StringBuilder(type.Name).Append('{');
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
            text.Append(property.Name).Append('=').Append(Dump(property.GetValue(value), depth + 1)).Append(';');
        return text.Append('}').ToString();
    }
}
