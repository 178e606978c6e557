namespace Microsoft.ML.Neo;

/// <summary>
/// How logit KD works when teacher and student tokenize differently (<see cref="NeoDistillOptions.CrossTokenizer"/>).
/// The response is aligned by text: each student position is paired with the teacher position whose token covers the
/// start of the student token's text. docs/concepts.md gives the formulas.
/// </summary>
public enum CrossTokenizerLoss
{
    /// <summary>The teacher must share the student's vocabulary (a padded teacher vocabulary is accepted). The default.</summary>
    None,

    /// <summary>
    /// Where both sides emit the same token, <see cref="NeoDistillOptions.Divergence"/> over the ids both vocabularies
    /// share (as TRL's GOLD does); elsewhere the universal logit distance (ULD, Boizard et al. 2024), weighted by
    /// <see cref="NeoDistillOptions.UldWeight"/> (0 leaves those positions to cross-entropy alone).
    /// </summary>
    Hybrid,

    /// <summary>The universal logit distance at every position: sorted probabilities, no shared ids needed.</summary>
    Uld,
}
