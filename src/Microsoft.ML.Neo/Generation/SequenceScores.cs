namespace Microsoft.ML.Neo;

/// <summary>What a model thinks of one token of a sequence, given the tokens before it.</summary>
/// <param name="TokenId">The token that is there.</param>
/// <param name="Logprob">Its log-probability.</param>
/// <param name="Rank">1 + the number of ids the model finds more likely.</param>
/// <param name="TopIds">The model's K most likely ids at this position, most likely first.</param>
/// <param name="TopLogprobs">Their log-probabilities.</param>
public sealed record PositionLogprobs(int TokenId, float Logprob, int Rank, int[] TopIds, float[] TopLogprobs);

/// <summary>
/// A sequence scored in one forward pass (<see cref="CausalLM.Score"/>): what servers report as <c>prompt_logprobs</c>.
/// </summary>
/// <param name="Positions">Tokens 1 .. T − 1 of the sequence (the first has no context), each with the model's view of it.</param>
/// <param name="NextLogits">The logits at the last position, over the vocabulary: they pick the next token.</param>
public sealed record SequenceScores(PositionLogprobs[] Positions, float[] NextLogits);
