using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Distillation.Teachers;

namespace Microsoft.ML.Neo;

/// <summary>
/// A teacher that only writes responses: any Microsoft.Extensions.AI chat client (OpenAI, Azure OpenAI, Ollama, a
/// NeoServer, ...). Sequence-level KD: the student learns the responses as text, in its own tokens, with cross-entropy
/// (<see cref="NeoDistillOptions.Mode"/> = Sequence, <see cref="NeoDistillOptions.KdWeight"/> = 0); it gives no logits.
/// Its responses are kept in <see cref="NeoDistillOptions.TeacherCacheDirectory"/> (or beside the checkpoints). For a
/// server that also scores, give a <see cref="TeacherEndpoint"/> with this client as its
/// <see cref="TeacherEndpoint.ChatClient"/>.
/// </summary>
public sealed class TeacherChatClient : NeoTeacher
{
    /// <param name="client">The chat client that writes the teacher's responses; not owned.</param>
    public TeacherChatClient(IChatClient client) => Client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>The chat client that writes the teacher's responses. Not saved anywhere.</summary>
    public IChatClient Client { get; }

    internal override int DefaultTopK => 0;

    internal override bool NeedsCache => true;

    internal override bool GivesLogits => false;

    internal override string Identity => $"served:{Client.GetService<ChatClientMetadata>()?.DefaultModelId ?? ""}";

    internal override string Describe() => "a chat client";

    internal override void Validate(NeoDistillOptions options)
    {
        if (options.KdWeight > 0)
            throw new ArgumentException("A TeacherChatClient writes responses but gives no logits, and KdWeight > 0 asks for them; " +
                "set KdWeight = 0 with Mode = Sequence, or use a TeacherEndpoint whose server returns prompt_logprobs (vLLM, NeoServer), " +
                "with this client as its ChatClient.", nameof(NeoDistillOptions.KdWeight));
        if (options.Mode != DistillationMode.Sequence)
            throw new ArgumentException("A TeacherChatClient is used in Sequence mode only (it writes the responses); set Mode = Sequence.",
                nameof(NeoDistillOptions.Mode));
    }

    internal override PretrainedFolder? Check(PretrainedFolder student, TeacherSettings settings, Action<string> warn)
    {
        TeacherEndpoint.CheckServed(null, student, settings);
        return null;
    }

    internal override ITeacher Open(TeacherSettings settings, TeacherOpening opening) => TeacherEndpoint.OpenServed(null, Client, settings, opening);

    internal override NeoTeacher Clone() => new TeacherChatClient(Client);

    internal override JsonObject ToRecord() => new() { ["kind"] = "chat_client", ["model"] = Identity };
}
