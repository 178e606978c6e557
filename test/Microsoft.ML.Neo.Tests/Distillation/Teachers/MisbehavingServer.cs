using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo.Tests.Distillation.Teachers;

/// <summary>How a <see cref="MisbehavingServer"/> gets things wrong.</summary>
public enum Misbehaviour
{
    Status500,
    MalformedBody,
    MissingPromptLogprobs,
    WrongTokenCount,
    CappedLogprobs,
    TokenizerMismatch,
}

/// <summary>
/// A real HTTP server on loopback that speaks just enough of the OpenAI/vLLM API to be found (/v1/models, /tokenize
/// with the given tokenizer) and then answers /v1/completions in one wrong way.
/// </summary>
internal sealed class MisbehavingServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private MisbehavingServer(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
    }

    public Uri Address { get; }

    public int CompletionRequests;

    public static async Task<MisbehavingServer> StartAsync(Misbehaviour misbehaviour, TokenizerFiles tokenizer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        MisbehavingServer? server = null;
        app.MapGet("/v1/models", () => Results.Json(new { data = new[] { new { id = "bad", max_model_len = 128 } } }));
        app.MapPost("/tokenize", async (HttpContext context) =>
        {
            var body = await JsonDocument.ParseAsync(context.Request.Body);
            var ids = tokenizer.Encode(body.RootElement.GetProperty("prompt").GetString()!, addBeginningOfSequence: false);
            if (misbehaviour == Misbehaviour.TokenizerMismatch) ids = ids.Select(id => id + 1).ToArray();
            return Results.Json(new { count = ids.Length, tokens = ids });
        });
        app.MapPost("/v1/completions", async (HttpContext context) =>
        {
            Interlocked.Increment(ref server!.CompletionRequests);
            var body = await JsonDocument.ParseAsync(context.Request.Body);
            int sent = body.RootElement.GetProperty("prompt").GetArrayLength();
            int k = body.RootElement.GetProperty("prompt_logprobs").GetInt32();
            object Positions(int count) => Enumerable.Range(0, count).Select(t => t == 0 ? null
                : Enumerable.Range(0, k).ToDictionary(j => j.ToString(), j => new { logprob = -1.0 - j, rank = j + 1 })).ToList();
            return misbehaviour switch
            {
                Misbehaviour.Status500 => Results.Json(new { error = new { message = "CUDA out of memory" } }, statusCode: 500),
                Misbehaviour.MalformedBody => Results.Text("{\"choices\": [", "application/json"),
                Misbehaviour.MissingPromptLogprobs => Results.Json(new { choices = new[] { new { text = "x", index = 0 } } }),
                Misbehaviour.WrongTokenCount => Results.Json(new { choices = new[] { new { text = "x", prompt_logprobs = Positions(sent - 1) } } }),
                Misbehaviour.CappedLogprobs => Results.Json(new { error = new { message = $"Requested prompt logprobs of {k}, which is greater than max allowed: 20" } }, statusCode: 400),
                _ => Results.Json(new { choices = new[] { new { text = "x", prompt_logprobs = Positions(sent) } } }),
            };
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new MisbehavingServer(app, new Uri(address + "/"));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
