using Microsoft.ML.Neo.Data;

namespace Microsoft.ML.Neo.Tests.Data;

[TestClass]
public sealed class TokenBatchTests
{
    [TestMethod]
    public void ResponseRowsPairEachTokenOnBothSides()
    {
        // Example 0: student "1 5 6 | 7 8 2", teacher "1 9 9 9 5 6 | 7 8 2"; example 1 without priming: "1 5 | 3 2".
        var primed = new EncodedExample(new[] { 1, 5, 6, 7, 8, 2 }, 3, new[] { 1, 9, 9, 9, 5, 6, 7, 8, 2 }, 6);
        var plain = new EncodedExample(new[] { 1, 5, 3, 2 }, 2);
        var batch = TokenBatch.Create(new[] { primed, plain }, padId: 0);

        Assert.AreEqual(5, batch.ResponseTokenCount);
        CollectionAssert.AreEqual(new long[] { 2, 5 }, batch.Inputs.shape);                  // [B, L]
        CollectionAssert.AreEqual(new long[] { 2, 8 }, batch.TeacherInputs.shape);           // [B, L']
        // Student: position t predicts token t+1; rows 2, 3, 4 of example 0 and 1, 2 of example 1 (offset 5).
        CollectionAssert.AreEqual(new long[] { 2, 3, 4, 6, 7 }, batch.ResponseRows.data<long>().ToArray());
        // Teacher: rows 5, 6, 7 of example 0 and, reading the student's sequence, 1, 2 of example 1 (offset 8).
        CollectionAssert.AreEqual(new long[] { 5, 6, 7, 9, 10 }, batch.TeacherResponseRows.data<long>().ToArray());
        CollectionAssert.AreEqual(new long[] { 7, 8, 2, 3, 2 }, batch.Targets.data<long>().ToArray());
        var teacherFlat = batch.TeacherInputs.reshape(-1).data<long>().ToArray();
        var studentFlat = batch.Inputs.reshape(-1).data<long>().ToArray();
        // The token each side reads at a paired row is the same (the last one before the predicted token).
        CollectionAssert.AreEqual(batch.ResponseRows.data<long>().Select(r => studentFlat[r]).ToArray(),
            batch.TeacherResponseRows.data<long>().Select(r => teacherFlat[r]).ToArray());
    }

    [TestMethod]
    public void WithoutPrimingTheTeacherReadsTheStudentsTensors()
    {
        var batch = TokenBatch.Create(new[] { new EncodedExample(new[] { 1, 5, 3, 2 }, 2) }, padId: 0);
        Assert.AreSame(batch.Inputs, batch.TeacherInputs);
        Assert.AreSame(batch.ResponseRows, batch.TeacherResponseRows);
        CollectionAssert.AreEqual(new long[] { -100, 3, 2 }, batch.Labels.reshape(-1).data<long>().ToArray());
    }
}
