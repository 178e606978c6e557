using Microsoft.ML.Neo.Tests.MLNet;

namespace Microsoft.ML.Neo.Tests.Distillation.Teachers;

/// <summary>
/// A model zip saved by NeoDistill is a teacher too (<see cref="TeacherModel.ModelPath"/>): its student, adapters
/// merged, teaches exactly as the same model exported as a Hugging Face folder does.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ZippedTeacherTests
{
    [TestMethod]
    public void AZipTeachesAsItsExportedFolderDoes()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(8, seed: 3));
        // A first distillation: its zip, and the same model as a folder.
        string zip = fixture.Sub("distilled.zip"), exported = fixture.Sub("exported");
        var first = fixture.Options();
        first.MaxSteps = 3;
        first.LearningRate = 1e-2f;
        using (var model = ml.Transforms.NeoDistill(first).Fit(data))
        {
            ml.Model.Save(model, data.Schema, zip);
            model.ExportHuggingFace(exported);
        }

        List<TrainingProgress> Steps(string teacher)
        {
            var steps = new List<TrainingProgress>();
            var options = fixture.Options();
            options.Teacher = new TeacherModel(teacher);
            options.MaxSteps = 2;
            options.Progress = new ProgressCallback<TrainingProgress>(steps.Add);
            using var _ = new MLContext(seed: 1).Transforms.NeoDistill(options).Fit(data);
            return steps;
        }
        var fromZip = Steps(zip);
        var fromFolder = Steps(exported);
        Assert.AreEqual(2, fromZip.Count);
        for (int step = 0; step < 2; step++)
            Assert.AreEqual(fromFolder[step].Divergence, fromZip[step].Divergence, 1e-6 * Math.Abs(fromFolder[step].Divergence), $"step {step + 1}: the same teacher");
        Assert.AreNotEqual(Steps(fixture.TeacherPath)[0].Divergence, fromZip[0].Divergence, "and not the fixture's own teacher");

        Assert.AreEqual(new TeacherModel(zip).Identity, new TeacherModel(zip).Identity);
        StringAssert.StartsWith(new TeacherModel(zip).Identity, "zip:", "a zip is known by its contents");
    }
}
