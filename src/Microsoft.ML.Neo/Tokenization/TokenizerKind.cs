namespace Microsoft.ML.Neo;

/// <summary>Which tokenizer file a folder's tokenizer was built from.</summary>
public enum TokenizerKind
{
    /// <summary>A SentencePiece <c>tokenizer.model</c> (Llama 2, TinyLlama, Mistral).</summary>
    SentencePiece,
    /// <summary>Llama 3's tiktoken-format <c>tokenizer.model</c> (base64 token and rank per line).</summary>
    Tiktoken,
    /// <summary>A byte-level BPE <c>tokenizer.json</c> (GPT-2, Llama 3, Qwen2, SmolLM).</summary>
    ByteLevelBpe,
    /// <summary>A SentencePiece-style BPE <c>tokenizer.json</c> with byte fallback (TinyLlama, Llama 2, Mistral).</summary>
    SentencePieceBpe,
}
