using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Microsoft.ML.Neo.Distillation.Teachers.Served;

/// <summary>
/// JSON over HTTP to a served teacher: the API key as a bearer token, a timeout per request, and retries with
/// exponential backoff on 429, 5xx, timeouts and dropped connections. Failures become
/// <see cref="TeacherServerException"/>s that say what to fix, with the key scrubbed from anything the server echoed.
/// </summary>
internal sealed class TeacherHttpClient : IDisposable
{
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromSeconds(30);

    private readonly HttpClient http;
    private readonly TeacherEndpoint endpoint;
    private readonly string? apiKey;

    public TeacherHttpClient(TeacherEndpoint endpoint)
    {
        this.endpoint = endpoint;
        apiKey = endpoint.ReadApiKey();
        http = new HttpClient { BaseAddress = endpoint.Root, Timeout = Timeout.InfiniteTimeSpan };
        if (apiKey is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    /// <summary>Where requests go, for messages.</summary>
    public string Address => endpoint.Root.ToString().TrimEnd('/');

    /// <summary>GETs or POSTs (when <paramref name="body"/> is given) and parses the JSON answer.</summary>
    /// <param name="explain">Turns a 4xx answer (status, the server's message) into the error to throw; null for the default.</param>
    public async Task<JsonDocument> SendAsync(string path, object? body, CancellationToken cancellation,
        Func<int, string, TeacherServerException?>? explain = null)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(endpoint.Timeout);
            using var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, path);
            if (body is not null) request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
            string failure;
            TimeSpan? retryAfter = null;
            int? status = null;
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                // Bytes, not a string: a scoring answer is tens of kilobytes of UTF-8 that the parser reads as is.
                byte[] answer = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
                status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode) return Parse(path, answer, status.Value);
                string message = Scrub(ServerMessage(Encoding.UTF8.GetString(answer)));
                if (!IsTransient(response.StatusCode))
                    throw explain?.Invoke(status.Value, message) ?? Refusal(path, status.Value, message);
                failure = $"HTTP {status}: {message}";
                retryAfter = response.Headers.RetryAfter?.Delta;
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                failure = $"no answer within {endpoint.Timeout.TotalSeconds:F0} s (TeacherEndpoint.Timeout)";
            }
            catch (HttpRequestException e)
            {
                failure = $"cannot connect ({Scrub(e.Message)})";
            }
            if (attempt >= endpoint.MaxRetries)
            {
                throw new TeacherServerException(
                    $"The teacher server at {Address} failed on {path} {attempt + 1} time(s); last: {failure}. Check that it is running at " +
                    "TeacherEndpoint.Url and healthy; raise TeacherEndpoint.MaxRetries or Timeout for a busy server.", status);
            }
            var delay = retryAfter ?? TimeSpan.FromTicks(Math.Min(LongestRetryDelay.Ticks, endpoint.RetryDelay.Ticks << Math.Min(attempt, 20)));
            await Task.Delay(delay, cancellation).ConfigureAwait(false);
        }
    }

    private static bool IsTransient(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    private JsonDocument Parse(string path, byte[] body, int status)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new TeacherServerException($"The teacher server's answer to {path} is not JSON ({e.Message}); is {Address} an OpenAI-compatible server?", status, e);
        }
    }

    // The default reading of a refusal: the key, the address, or the request.
    private TeacherServerException Refusal(string path, int status, string message) => status switch
    {
        401 or 403 => new TeacherServerException(endpoint.ApiKeyEnvironmentVariable is null
            ? $"The teacher server at {Address} wants an API key (HTTP {status}: {message}); put it in an environment variable and name that variable in TeacherEndpoint.ApiKeyEnvironmentVariable."
            : $"The teacher server at {Address} refused the API key from the environment variable {endpoint.ApiKeyEnvironmentVariable} (HTTP {status}: {message}); check the key.", status),
        404 => new TeacherServerException(
            $"The teacher server at {Address} has no {path} (HTTP 404: {message}); TeacherEndpoint.Url must be the base address of an OpenAI-compatible server, e.g. http://host:8000.", status),
        _ => new TeacherServerException($"The teacher server at {Address} refused {path} (HTTP {status}): {message}", status),
    };

    // The error text of an OpenAI-style body ({"error": {"message": ...}} or {"message": ...} or {"detail": ...}), or the body itself.
    private static string ServerMessage(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out var error))
                    return error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) ? m.ToString() : error.ToString();
                if (root.TryGetProperty("message", out var message)) return message.ToString();
                if (root.TryGetProperty("detail", out var detail)) return detail.ToString();
            }
        }
        catch (JsonException)
        {
        }
        return body.Length > 500 ? body[..500] + "…" : body.Length == 0 ? "(empty body)" : body;
    }

    /// <summary>Removes the API key from text that came from the server or the network stack.</summary>
    public string Scrub(string text) => apiKey is null ? text : text.Replace(apiKey, "***", StringComparison.Ordinal);

    public void Dispose() => http.Dispose();
}
