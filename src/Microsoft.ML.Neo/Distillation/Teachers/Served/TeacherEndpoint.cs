using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Distillation.Teachers.Served;
using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo;

/// <summary>
/// A teacher on an OpenAI-compatible server (vLLM, SGLang, NeoServer, ...), a kind of <see cref="NeoTeacher"/>. For logit KD the server scores each example's exact token ids and
/// returns the top <see cref="NeoDistillOptions.TeacherScoreTopK"/> log-probabilities of every position
/// (<c>/v1/completions</c> with <c>prompt_logprobs</c>, as vLLM defines it); for sequence-level KD it writes responses
/// through <c>/v1/chat/completions</c>. Answers land in <see cref="NeoDistillOptions.TeacherCacheDirectory"/>, so a run
/// that dies resumes without asking again (the folder beside the checkpoints when none is named). Its default top-K is
/// 20, what vLLM allows without <c>--max-logprobs</c>.
/// </summary>
public sealed class TeacherEndpoint : NeoTeacher
{
    /// <summary>
    /// Any Microsoft.Extensions.AI chat client (OpenAI, Azure OpenAI, Ollama, ...) that writes the teacher's responses in
    /// Sequence mode instead of the endpoint's own chat completions, while the endpoint scores them. Not saved anywhere.
    /// Null (default): the endpoint writes them. For a chat client alone, use <see cref="TeacherChatClient"/>.
    /// </summary>
    [JsonIgnore]
    public IChatClient? ChatClient { get; set; }

    /// <summary>The server's base address, e.g. <c>http://gpu-box:8000</c> (a trailing <c>/v1</c> is accepted). Required.</summary>
    public string Url { get; set; } = "";

    /// <summary>
    /// The model id the server knows the teacher by (vLLM: the served model name). It names the cache entries: a cache
    /// filled from one server is reused after a move to another address. Null (default): the first id <c>/v1/models</c> lists.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>
    /// The name of the environment variable that holds the API key, sent as <c>Authorization: Bearer</c>. Null (default):
    /// no key. Only the name is kept in options and model zips; the key itself never reaches a zip, cache, log or message.
    /// </summary>
    public string? ApiKeyEnvironmentVariable { get; set; }

    /// <summary>
    /// A folder with the served teacher's tokenizer files (tokenizer.json or tokenizer.model and their configs). Logit KD
    /// compares distributions id by id, so it is checked against the student's and against the server's <c>/tokenize</c>
    /// before the first request. Null (default): the student's folder, for a teacher that shares its tokenizer.
    /// </summary>
    public string? TokenizerPath { get; set; }

    /// <summary>Requests in flight at once, 1 to 256. Default 4.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>How long one request may take, 1 s to 1 h; a slower one is retried. Default 2 minutes.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Retries of a request after HTTP 429, a 5xx status, a timeout or a dropped connection, 0 to 100. Default 5.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>
    /// Wait before the first retry, 0 to 10 minutes; it doubles with each retry up to 30 s, and a <c>Retry-After</c>
    /// header overrides it. Default 1 s.
    /// </summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first member out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Url) || !Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"TeacherEndpoint.Url must be the http(s) address of an OpenAI-compatible server, e.g. http://localhost:8000; it is '{Url}'.", nameof(Url));
        if (!string.IsNullOrEmpty(uri.UserInfo))
            throw new ArgumentException("TeacherEndpoint.Url must not carry credentials; put the API key in an environment variable and name it in ApiKeyEnvironmentVariable.", nameof(Url));
        if (ApiKeyEnvironmentVariable is { } name && (name.Length == 0 || name.Any(c => c is '=' or '\0' || char.IsWhiteSpace(c))))
            throw new ArgumentException($"TeacherEndpoint.ApiKeyEnvironmentVariable must be the name of an environment variable (not the key itself); it is not a valid name.", nameof(ApiKeyEnvironmentVariable));
        if (TokenizerPath is { } path && !Directory.Exists(path))
            throw new ArgumentException($"TeacherEndpoint.TokenizerPath '{path}' is not a folder; set it to a folder with the served teacher's tokenizer files, or null to use the student's.", nameof(TokenizerPath));
        Require(MaxConcurrency is >= 1 and <= 256, nameof(MaxConcurrency), MaxConcurrency, "between 1 and 256");
        Require(Timeout >= TimeSpan.FromSeconds(1) && Timeout <= TimeSpan.FromHours(1), nameof(Timeout), Timeout, "between 1 second and 1 hour");
        Require(MaxRetries is >= 0 and <= 100, nameof(MaxRetries), MaxRetries, "between 0 and 100");
        Require(RetryDelay >= TimeSpan.Zero && RetryDelay <= TimeSpan.FromMinutes(10), nameof(RetryDelay), RetryDelay, "between 0 and 10 minutes");
    }

    /// <summary>The address without a trailing <c>/v1</c> or slash: <c>/v1/...</c> and vLLM's <c>/tokenize</c> hang off it.</summary>
    internal Uri Root
    {
        get
        {
            string url = Url.TrimEnd('/');
            if (url.EndsWith("/v1", StringComparison.OrdinalIgnoreCase)) url = url[..^3];
            return new Uri(url + "/");
        }
    }

    /// <summary>The API key from the environment, or null when none is configured.</summary>
    /// <exception cref="InvalidOperationException">The named variable is not set.</exception>
    internal string? ReadApiKey()
    {
        if (ApiKeyEnvironmentVariable is null) return null;
        var key = Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable);
        if (string.IsNullOrEmpty(key))
            throw new InvalidOperationException($"TeacherEndpoint.ApiKeyEnvironmentVariable names '{ApiKeyEnvironmentVariable}', but that environment variable is not set; set it to the server's API key.");
        return key;
    }

    internal override NeoTeacher Clone() => CloneEndpoint();

    internal TeacherEndpoint CloneEndpoint() => (TeacherEndpoint)MemberwiseClone();

    internal override int DefaultTopK => NeoDistillOptions.ServedTeacherTopK;

    internal override bool NeedsCache => true;

    internal override string Identity => $"served:{Model ?? ChatClient?.GetService<ChatClientMetadata>()?.DefaultModelId ?? ""}";

    internal override string Describe() => $"the served teacher at {Url}";

    internal override void Validate(NeoDistillOptions options) => Validate();

    internal override PretrainedFolder? Check(PretrainedFolder student, TeacherSettings settings, Action<string> warn)
    {
        CheckServed(this, student, settings);
        return null;
    }

    internal override ITeacher Open(TeacherSettings settings, TeacherOpening opening) => OpenServed(this, ChatClient, settings, opening);

    internal override JsonObject ToRecord() => new()
    {
        ["kind"] = "endpoint", ["url"] = Url, ["model"] = Model, ["api_key_environment_variable"] = ApiKeyEnvironmentVariable,
        ["tokenizer_path"] = TokenizerPath, ["chat_client"] = ChatClient is not null,
    };

    // A served teacher's tokenizer (the endpoint's own folder, or the student's) must match the student's for logit KD.
    internal static void CheckServed(TeacherEndpoint? endpoint, PretrainedFolder student, TeacherSettings settings)
    {
        var studentTokenizer = student.RequireTokenizer("NeoDistill needs the student's tokenizer");
        if (settings.CrossTokenizer != CrossTokenizerLoss.None || settings.WritesTextOnly) return;
        var teacherTokenizer = ServedTokenizer(endpoint, studentTokenizer);
        if (!teacherTokenizer.HasSameVocabularyAs(studentTokenizer))
            throw new InvalidDataException(
                $"The served teacher's tokenizer ('{endpoint!.TokenizerPath}', {teacherTokenizer.Kind} tokenizer, {teacherTokenizer.VocabularySize} ids) and the student's " +
                $"('{student.Directory}', {studentTokenizer.Kind} tokenizer, {studentTokenizer.VocabularySize} ids) disagree; logit distillation needs one shared vocabulary.");
    }

    // Connects to the server (or takes the chat client), always behind the run's cache, bridged when tokenizers differ.
    internal static ITeacher OpenServed(TeacherEndpoint? endpoint, IChatClient? chatClient, TeacherSettings settings, TeacherOpening opening)
    {
        var tokenizer = ServedTokenizer(endpoint, opening.StudentTokenizer ?? throw new ArgumentNullException(nameof(opening), "a served teacher needs the student's tokenizer"));
        int scoreTopK = settings.ScoreTopK > 0 ? settings.ScoreTopK : NeoDistillOptions.ServedTeacherTopK;
        var served = ServedTeacher.Open(endpoint, chatClient, tokenizer, opening.StudentContext, scoreTopK, opening.WarnOrIgnore);
        var cached = new CachedTeacher(served, settings.CacheDirectory!, scoreTopK, opening.ScoresDuringTraining, settings.CacheEncoding);
        return TeacherSource.Bridged(cached, settings, opening, tokenizer, tokenizer.VocabularySize);
    }

    private static TokenizerFiles ServedTokenizer(TeacherEndpoint? endpoint, TokenizerFiles studentTokenizer) => endpoint?.TokenizerPath is { } path
        ? TokenizerFiles.TryLoad(path) ?? throw new InvalidDataException(
            $"TeacherEndpoint.TokenizerPath '{path}' has no tokenizer.json or tokenizer.model; it must hold the served teacher's tokenizer files.")
        : studentTokenizer;

    private static void Require(bool condition, string name, object value, string range)
    {
        if (!condition) throw new ArgumentOutOfRangeException(name, value, $"TeacherEndpoint.{name} must be {range}; it is {value}.");
    }
}
