using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Server;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// neo serve: runs <see cref="NeoServer"/> for a Hugging Face folder or a NeoDistill zip until Ctrl+C. A teacher served
/// this way is what <c>neo distill --teacher-url</c> (and any OpenAI client) talks to.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new NeoServerOptions();
        var model = Required<string>("--model", "A Hugging Face folder or a model zip saved by NeoDistill.");
        var id = Optional<string?>("--model-id", "The id clients name as 'model' (default: the folder's or zip's name).");
        var host = With("--host", defaults.Host, "Address to listen on; 127.0.0.1 is this machine only. 0.0.0.0 exposes the model: set --api-key-env too.");
        var port = With("--port", defaults.Port, "TCP port (0 picks a free one).");
        var apiKeyEnv = Optional<string?>("--api-key-env", "Name of an environment variable holding the API key clients must send as 'Authorization: Bearer'.");
        var maxLogprobs = With("--max-logprobs", defaults.MaxLogprobs, "Most logprobs / prompt_logprobs a request may ask for (as vLLM's flag; distillation with top-K needs K).");
        var maxPrompt = With("--max-prompt-tokens", 0, "Longest prompt accepted, in tokens (0: the model's context).");
        var maxBody = With("--max-body-bytes", defaults.MaxRequestBodyBytes, "Largest request body accepted, in bytes.");
        var precision = With("--precision", ComputePrecision.Float32, "Number format of the weights: Float32, BFloat16 or Auto.");
        var logRequests = With("--log-requests", false, "Log one line per request (method, path, status, time) instead of a summary line per interval.");
        var summaryEvery = With("--summary-every", 10, "Seconds between summary lines (requests answered and refused, tokens read and generated), when any came; 0: none.");
        var command = new Command("serve",
            "Serve a model over an OpenAI-compatible HTTP API (/v1/completions with prompt_logprobs, /v1/chat/completions, /v1/models, /tokenize) until Ctrl+C.")
        {
            model, id, host, port, apiKeyEnv, maxLogprobs, maxPrompt, maxBody, precision, logRequests, summaryEvery,
        }.WithExample("neo serve --model ./teacher --port 8000 --max-logprobs 64");
        command.SetWork((parse, console, cancellation) =>
        {
            string? keyVariable = parse.GetValue(apiKeyEnv);
            string? key = null;
            if (keyVariable is not null)
            {
                key = Environment.GetEnvironmentVariable(keyVariable);
                if (string.IsNullOrEmpty(key)) throw new ArgumentException($"--api-key-env names '{keyVariable}', but that environment variable is not set.");
            }
            int interval = parse.GetValue(summaryEvery);
            if (interval < 0) throw new UsageException($"--summary-every must be 0 (no summaries) or a number of seconds; it is {interval}.");
            // A line a request only when asked (a distillation run sends hundreds); ASP.NET Core's own chatter and the
            // server's warnings only when something is wrong.
            bool everyRequest = parse.GetValue(logRequests);
            using var logging = LoggerFactory.Create(builder => builder
                .AddSimpleConsole(o => o.SingleLine = true)
                .SetMinimumLevel(LogLevel.Warning)
                .AddFilter("Microsoft.ML.Neo.Server", everyRequest ? LogLevel.Information : LogLevel.Warning));
            var options = new NeoServerOptions
            {
                ModelPath = ExistingModel("--model", parse.GetValue(model)!), ModelId = parse.GetValue(id), Host = parse.GetValue(host)!, Port = parse.GetValue(port),
                ApiKey = key, MaxLogprobs = parse.GetValue(maxLogprobs), MaxPromptTokens = parse.GetValue(maxPrompt),
                MaxRequestBodyBytes = parse.GetValue(maxBody), Precision = parse.GetValue(precision), LoggerFactory = logging,
            };
            var server = NeoServer.StartAsync(options, cancellation).GetAwaiter().GetResult();
            try
            {
                if (!options.IsLoopbackHost && key is null)
                    console.WriteWarning($"{options.Host} is reachable from the network and no API key is set (--api-key-env).");
                console.WriteLine($"serving '{server.ModelId}' at {server.BaseAddress} (OpenAI base URL {server.BaseAddress}v1); Ctrl+C stops");
                console.WriteResult(new { model = server.ModelId, url = server.BaseAddress.ToString() });
                using var summaries = interval == 0 || everyRequest ? null : new RequestSummaries(server.Statistics, TimeSpan.FromSeconds(interval), console.WriteLine);
                try
                {
                    server.WaitForShutdownAsync(cancellation).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                }
                var statistics = server.Statistics;
                console.WriteLine($"stopped: {statistics.Completions} completions, {statistics.ChatCompletions} chat completions, {statistics.Refused} refused; " +
                    $"{statistics.PromptTokens} prompt tokens read, {statistics.GeneratedTokens} generated");
            }
            finally
            {
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>
/// A line per interval in which requests came: how many were answered and refused, and the tokens read and generated,
/// since the last line (nothing while the server is idle).
/// </summary>
internal sealed class RequestSummaries : IDisposable
{
    private readonly ServerStatistics statistics;
    private readonly Action<string> write;
    private readonly Timer timer;
    private readonly TimeSpan interval;
    private (long Completions, long Chats, long Refused, long Prompt, long Generated) last;

    public RequestSummaries(ServerStatistics statistics, TimeSpan interval, Action<string> write)
    {
        this.statistics = statistics;
        this.write = write;
        this.interval = interval;
        timer = new Timer(_ => Tick(), null, interval, interval);
    }

    private void Tick()
    {
        var now = (statistics.Completions, statistics.ChatCompletions, statistics.Refused, statistics.PromptTokens, statistics.GeneratedTokens);
        if (now == last) return;
        write($"last {interval.TotalSeconds:F0} s: {now.Completions - last.Completions} completions, {now.ChatCompletions - last.Chats} chat completions, " +
              $"{now.Refused - last.Refused} refused; {now.PromptTokens - last.Prompt} prompt tokens read, {now.GeneratedTokens - last.Generated} generated");
        last = now;
    }

    public void Dispose() => timer.Dispose();
}
