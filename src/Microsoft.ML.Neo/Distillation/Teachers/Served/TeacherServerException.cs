namespace Microsoft.ML.Neo;

/// <summary>
/// A served teacher (<see cref="TeacherEndpoint"/>) could not be used: unreachable, refused the key or the request,
/// failed repeatedly, or answered something a distillation cannot read. The message names the cause and the fix, and
/// never contains the API key.
/// </summary>
public sealed class TeacherServerException : Exception
{
    public TeacherServerException(string message, int? statusCode = null, Exception? inner = null) : base(message, inner)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status of the last answer, or null when none came (no connection, a timeout, an unreadable body).</summary>
    public int? StatusCode { get; }
}
