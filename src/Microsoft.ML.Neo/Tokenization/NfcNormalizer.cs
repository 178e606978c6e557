using System.Text;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>Unicode NFC composition, the normalizer of Qwen2's tokenizer.json.</summary>
internal sealed class NfcNormalizer : Normalizer
{
    public override string Normalize(string original) => original.Normalize(NormalizationForm.FormC);

    public override string Normalize(ReadOnlySpan<char> original) => original.ToString().Normalize(NormalizationForm.FormC);
}
