using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// Llama 3's original <c>tokenizer.model</c>: tiktoken's format (a base64 token and its rank per line, rank = id), read
/// by Microsoft.ML.Tokenizers' <see cref="TiktokenTokenizer"/> with Llama 3's split pattern. The 256 special tokens
/// after the base vocabulary come from tokenizer_config.json's <c>added_tokens_decoder</c> when the folder has it,
/// else from Meta's Llama 3.1 list.
/// </summary>
internal static class TiktokenModel
{
    // Llama 3's split (Meta's tokenizer.py), the same regex its tokenizer.json carries.
    private const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const int SpecialTokenCount = 256;

    /// <summary>True when the bytes look like tiktoken's text format rather than a SentencePiece protobuf.</summary>
    public static bool Recognizes(byte[] bytes)
    {
        int end = Array.IndexOf(bytes, (byte)'\n');
        if (end <= 0) return false;
        var line = Encoding.ASCII.GetString(bytes, 0, end).TrimEnd('\r');
        int space = line.IndexOf(' ');
        return space > 0 && line[..space].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=')
            && line[(space + 1)..].All(char.IsAsciiDigit) && space + 1 < line.Length;
    }

    public static LoadedTokenizer Load(byte[] bytes, IReadOnlyDictionary<string, int> configuredSpecials)
    {
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        using (var reader = new StreamReader(new MemoryStream(bytes, writable: false), Encoding.ASCII))
        {
            int lineNumber = 0;
            for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            {
                lineNumber++;
                if (line.Length == 0) continue;
                var parts = line.Split(' ');
                if (parts.Length != 2 || !int.TryParse(parts[1], out int rank))
                    throw new InvalidDataException($"tokenizer.model line {lineNumber} is not '<base64 token> <rank>'.");
                try
                {
                    vocabulary[ByteLevelAlphabet.Spell(Convert.FromBase64String(parts[0]))] = rank;
                }
                catch (FormatException e)
                {
                    throw new InvalidDataException($"tokenizer.model line {lineNumber}: '{parts[0]}' is not base64.", e);
                }
            }
        }

        var specials = configuredSpecials.Count > 0 ? configuredSpecials : Llama31SpecialTokens(vocabulary.Count);
        var preTokenizer = new RegexPreTokenizer(new Regex(Llama3Pattern, RegexOptions.CultureInvariant), specials);
        using var stream = new MemoryStream(bytes, writable: false);
        var tokenizer = TiktokenTokenizer.Create(stream, preTokenizer, normalizer: null, specialTokens: specials);
        // Meta's defaults when tokenizer_config.json names neither: begin and end of text (instruct models set eos_token
        // to <|eot_id|> in their config).
        string? Named(string token) => specials.ContainsKey(token) ? token : null;
        return new LoadedTokenizer(tokenizer, TokenizerKind.Tiktoken, vocabulary, specials,
            TemplateBos: Named("<|begin_of_text|>"), UnknownToken: null, DefaultEos: Named("<|end_of_text|>"));
    }

    // Meta's Llama 3.1 tokenizer.py: ten named tokens among the first eleven ids, the rest reserved.
    private static Dictionary<string, int> Llama31SpecialTokens(int baseVocabularySize)
    {
        var named = new[]
        {
            "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
            "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
            "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
        };
        var tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < SpecialTokenCount; i++)
        {
            string text = i < named.Length ? named[i] : $"<|reserved_special_token_{i - named.Length + 3}|>";
            tokens[text] = baseVocabularySize + i;
        }
        return tokens;
    }
}
