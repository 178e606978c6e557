using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.Neo.Server.Endpoints;

namespace Microsoft.ML.Neo.Server;

/// <summary>
/// An OpenAI-compatible HTTP server (ASP.NET Core) for one model: a Hugging Face folder or a NeoDistill model zip.
/// It answers <c>/v1/completions</c> (with <c>logprobs</c>, <c>echo</c> and <c>prompt_logprobs</c> as vLLM defines them, so a
/// <see cref="TeacherEndpoint"/> can distil from it), <c>/v1/chat/completions</c> (streamed or not), <c>/v1/models</c> and
/// <c>/tokenize</c>. It listens on loopback unless told otherwise.
/// </summary>
/// <example><code>
/// await using var server = await NeoServer.StartAsync(new NeoServerOptions { ModelPath = "teacher", Port = 8000 });
/// Console.WriteLine(server.BaseAddress); // http://127.0.0.1:8000/
/// await server.WaitForShutdownAsync(cancellation);
/// </code></example>
public sealed class NeoServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ServedModel model;

    private NeoServer(WebApplication app, ServedModel model)
    {
        this.app = app;
        this.model = model;
        model.Generation.OnPass = Statistics.AddDecodingPass;
    }

    /// <summary>Where clients reach it, e.g. <c>http://127.0.0.1:8000/</c> (the OpenAI base URL is this plus <c>v1</c>).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The id clients pass as <c>model</c>.</summary>
    public string ModelId => model.Id;

    /// <summary>Requests answered and refused, tokens read and written.</summary>
    public ServerStatistics Statistics { get; } = new();

    /// <summary>Loads the model and starts listening; returns once requests are accepted.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="IOException">The port is taken.</exception>
    public static async Task<NeoServer> StartAsync(NeoServerOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var model = ServedModel.Load(options.ModelPath, options.ModelId, options.Precision);
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            if (options.LoggerFactory is not null) builder.Services.AddSingleton(options.LoggerFactory);
            builder.WebHost.UseKestrel(kestrel =>
            {
                kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
                if (options.Host == "localhost") kestrel.ListenLocalhost(options.Port);
                else kestrel.Listen(IPAddress.Parse(options.Host), options.Port);
            });
            var app = builder.Build();
            var server = new NeoServer(app, model);
            server.Map(options);
            try
            {
                await app.StartAsync(cancellation).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw new IOException($"NeoServer cannot listen on {options.Host}:{options.Port}: {e.Message} Choose another port (0 picks a free one).", e);
            }
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            server.BaseAddress = new Uri(address.Replace("[::1]", "localhost", StringComparison.Ordinal) + "/");
            server.Logger(options).LogInformation("Serving {Model} at {Address} ({Access})", model.Id, server.BaseAddress,
                options.IsLoopbackHost ? "loopback only" : "reachable from the network");
            return server;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private ILogger Logger(NeoServerOptions options) => options.LoggerFactory?.CreateLogger("Microsoft.ML.Neo.Server") ?? NullLogger.Instance;

    private void Map(NeoServerOptions options)
    {
        var logger = Logger(options);
        byte[]? key = options.ApiKey is null ? null : Encoding.UTF8.GetBytes($"Bearer {options.ApiKey}");
        app.Use(async (context, next) =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                if (key is not null && !HasKey(context.Request, key))
                    throw new RequestError(StatusCodes.Status401Unauthorized, "Missing or wrong API key: send 'Authorization: Bearer <key>'.");
                await next(context).ConfigureAwait(false);
            }
            catch (RequestError e) when (!context.Response.HasStarted)
            {
                Statistics.AddRefused();
                await RequestError.WriteAsync(context, e.Status, e.Message, e.Param).ConfigureAwait(false);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                Statistics.AddRefused();
                string message = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? $"The request body is larger than this server accepts ({options.MaxRequestBodyBytes} bytes)."
                    : e.Message;
                await RequestError.WriteAsync(context, e.StatusCode, message).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away.
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                logger.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                await RequestError.WriteAsync(context, StatusCodes.Status500InternalServerError, $"The server failed: {e.Message}").ConfigureAwait(false);
            }
            logger.LogInformation("{Method} {Path} {Status} {Milliseconds:F0} ms", context.Request.Method, context.Request.Path,
                context.Response.StatusCode, clock.Elapsed.TotalMilliseconds);
        });
        app.MapGet("/v1/models", context => ModelsEndpoint.ListAsync(context, model));
        app.MapPost("/tokenize", context => ModelsEndpoint.TokenizeAsync(context, model));
        app.MapPost("/v1/completions", context => CompletionsEndpoint.HandleAsync(context, model, options, Statistics));
        app.MapPost("/v1/chat/completions", context => ChatCompletionsEndpoint.HandleAsync(context, model, options, Statistics));
        app.MapGet("/health", context => { context.Response.StatusCode = 200; return Task.CompletedTask; });
    }

    private static bool HasKey(HttpRequest request, byte[] expected)
    {
        var given = Encoding.UTF8.GetBytes(request.Headers.Authorization.ToString());
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>Completes when the server stops (<see cref="StopAsync"/>, or <paramref name="cancellation"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation = default) => app.WaitForShutdownAsync(cancellation);

    /// <summary>Stops accepting requests; those in flight get <paramref name="grace"/> (default 5 s) to finish.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        using var timeout = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(5));
        await app.StopAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <summary>Stops the server and releases the model.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        model.Dispose();
    }
}
