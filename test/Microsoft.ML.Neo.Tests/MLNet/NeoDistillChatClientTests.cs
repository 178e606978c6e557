using Microsoft.Extensions.AI;

namespace Microsoft.ML.Neo.Tests.MLNet;

[TestClass]
public sealed class NeoDistillChatClientTests
{
    [TestMethod]
    public async Task LoadedZipAnswersThroughIChatClientAsItCompletesInThePipeline()
    {
        string zip = Path.Combine(AppContext.BaseDirectory, "MLNet", "ModelZip", "Fixtures", "payload-v2.zip");
        using var loaded = (NeoDistillTransformer)new MLContext(seed: 1).Model.Load(zip, out _);
        const string prompt = "Tom has 3 apples and buys 4 more. How many apples does he have?";
        using var client = loaded.AsIChatClient();

        var response = await client.GetResponseAsync(prompt);

        Assert.AreEqual(loaded.Complete(prompt), response.Text, "same plain prompt and generation settings as the zip's Transform");
        Assert.AreEqual("neo-distilled", response.ModelId);
        Assert.IsTrue(response.Usage!.OutputTokenCount <= loaded.Settings.Generation.MaxNewTokens);
    }
}
