using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Microsoft.ML.Neo.Server.Endpoints;

/// <summary>A request the server refuses, answered as OpenAI-compatible servers do: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
internal sealed class RequestError(int status, string message, string? param = null) : Exception(message)
{
    public int Status { get; } = status;

    public string? Param { get; } = param;

    public static RequestError BadRequest(string message, string? param = null) => new(StatusCodes.Status400BadRequest, message, param);

    public static async Task WriteAsync(HttpContext context, int status, string message, string? param = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        string type = status switch
        {
            400 => "BadRequestError",
            401 => "AuthenticationError",
            404 => "NotFoundError",
            413 => "RequestTooLargeError",
            _ => "InternalServerError",
        };
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", message);
        writer.WriteString("type", type);
        if (param is null) writer.WriteNull("param");
        else writer.WriteString("param", param);
        writer.WriteNumber("code", status);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
