using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Microsoft.ML.Neo.Server.Endpoints;

/// <summary><c>GET /v1/models</c> and <c>POST /tokenize</c> (vLLM's), and the checks every request shares.</summary>
internal static class ModelsEndpoint
{
    public static async Task ListAsync(HttpContext context, ServedModel model)
    {
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("object", "list");
        writer.WriteStartArray("data");
        writer.WriteStartObject();
        writer.WriteString("id", model.Id);
        writer.WriteString("object", "model");
        writer.WriteNumber("created", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        writer.WriteString("owned_by", "neo");
        writer.WriteString("root", model.Id);
        writer.WriteNumber("max_model_len", model.ContextLength);
        writer.WriteNumber("vocab_size", model.VocabularySize);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>vLLM's <c>/tokenize</c>: <c>{"prompt": text, "add_special_tokens": true}</c> gives <c>{"count", "max_model_len", "tokens"}</c>.</summary>
    public static async Task TokenizeAsync(HttpContext context, ServedModel model)
    {
        var (json, document) = await JsonRequest.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        int[] ids;
        using (document)
        {
            RequireModel(json, model);
            string prompt = json.String("prompt") ?? throw RequestError.BadRequest("'prompt' is required: the text to tokenize.", "prompt");
            ids = model.Tokenizer.Encode(prompt, json.Bool("add_special_tokens", true));
        }
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteNumber("count", ids.Length);
        writer.WriteNumber("max_model_len", model.ContextLength);
        writer.WriteStartArray("tokens");
        foreach (int id in ids) writer.WriteNumberValue(id);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>A request that names a model must name this one.</summary>
    public static void RequireModel(JsonRequest json, ServedModel model)
    {
        if (json.String("model") is { } name && name != model.Id)
            throw new RequestError(StatusCodes.Status404NotFound, $"The model `{name}` does not exist; this server serves `{model.Id}`.", "model");
    }

    /// <summary>The prompt within the server's limit, and prompt plus new tokens within the context.</summary>
    public static void RequireFits(int promptTokens, int maxNewTokens, ServedModel model, NeoServerOptions options)
    {
        int limit = options.MaxPromptTokens > 0 ? Math.Min(options.MaxPromptTokens, model.ContextLength) : model.ContextLength;
        if (promptTokens > limit)
            throw RequestError.BadRequest($"The prompt has {promptTokens} tokens; this server takes at most {limit}.", "prompt");
        if (promptTokens + maxNewTokens > model.ContextLength)
            throw RequestError.BadRequest($"This model's maximum context length is {model.ContextLength} tokens. However, you requested " +
                $"{promptTokens + maxNewTokens} tokens ({promptTokens} in the prompt, {maxNewTokens} in the completion). Reduce the prompt or max_tokens.", "max_tokens");
    }
}
