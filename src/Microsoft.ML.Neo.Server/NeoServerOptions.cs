using System.Net;
using Microsoft.Extensions.Logging;

namespace Microsoft.ML.Neo.Server;

/// <summary>What <see cref="NeoServer"/> serves, where, and what it accepts.</summary>
public sealed class NeoServerOptions
{
    /// <summary>A Hugging Face model folder (config.json, weights, tokenizer files) or a NeoDistill model zip. Required.</summary>
    public string ModelPath { get; set; } = "";

    /// <summary>The id clients name in <c>model</c> and <c>/v1/models</c> lists. Null (default): the folder's or zip's file name.</summary>
    public string? ModelId { get; set; }

    /// <summary>
    /// The address to listen on. Default 127.0.0.1 (loopback: only this machine can connect). Anything else, such as
    /// 0.0.0.0, exposes the model to the network: set <see cref="ApiKey"/> too.
    /// </summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port, 0 to 65535; 0 picks a free one (read it from <see cref="NeoServer.BaseAddress"/>). Default 8000.</summary>
    public int Port { get; set; } = 8000;

    /// <summary>
    /// When set, every request must carry <c>Authorization: Bearer &lt;key&gt;</c>; others get 401. Null (default): no
    /// key. Never logged.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Largest request body in bytes, 1 KiB to 1 GiB; bigger ones get 413. Default 4 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 << 20;

    /// <summary>Longest prompt in tokens, 1 or more; longer ones get 400. 0 (default): the model's context length.</summary>
    public int MaxPromptTokens { get; set; }

    /// <summary>
    /// Most <c>logprobs</c> / <c>prompt_logprobs</c> a request may ask for, 0 to 1,000,000, as vLLM's
    /// <c>--max-logprobs</c> (20 by default there and here). Logit distillation over K ids needs at least K.
    /// </summary>
    public int MaxLogprobs { get; set; } = 20;

    /// <summary>Number format of the model's weights and matrix products: Float32 (default), BFloat16 or Auto.</summary>
    public ComputePrecision Precision { get; set; } = ComputePrecision.Float32;

    /// <summary>Where request logs go (one line a request, without prompts or keys). Null (default): nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
            throw new ArgumentException("NeoServerOptions.ModelPath is empty; set it to a Hugging Face model folder or a NeoDistill model zip.", nameof(ModelPath));
        if (!Directory.Exists(ModelPath) && !File.Exists(ModelPath))
            throw new ArgumentException($"NeoServerOptions.ModelPath '{ModelPath}' does not exist; set it to a Hugging Face model folder or a NeoDistill model zip.", nameof(ModelPath));
        if (Host != "localhost" && !IPAddress.TryParse(Host, out _))
            throw new ArgumentException($"NeoServerOptions.Host must be an IP address or \"localhost\"; it is '{Host}'.", nameof(Host));
        Require(Port is >= 0 and <= 65535, nameof(Port), Port, "between 0 and 65535");
        Require(MaxRequestBodyBytes is >= 1024 and <= 1L << 30, nameof(MaxRequestBodyBytes), MaxRequestBodyBytes, "between 1024 and 1073741824");
        Require(MaxPromptTokens >= 0, nameof(MaxPromptTokens), MaxPromptTokens, "0 (the model's context) or positive");
        Require(MaxLogprobs is >= 0 and <= 1_000_000, nameof(MaxLogprobs), MaxLogprobs, "between 0 and 1000000");
        Require(Enum.IsDefined(Precision), nameof(Precision), Precision, "Auto, Float32 or BFloat16");
        if (ApiKey is { Length: 0 })
            throw new ArgumentException("NeoServerOptions.ApiKey is empty; set a key or leave it null for none.", nameof(ApiKey));
    }

    /// <summary>True when <see cref="Host"/> is only reachable from this machine.</summary>
    public bool IsLoopbackHost => Host == "localhost" || IPAddress.IsLoopback(IPAddress.Parse(Host));

    private static void Require(bool condition, string name, object value, string range)
    {
        if (!condition) throw new ArgumentOutOfRangeException(name, value, $"NeoServerOptions.{name} must be {range}; it is {value}.");
    }
}
