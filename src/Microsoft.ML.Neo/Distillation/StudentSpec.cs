using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation;

/// <summary>
/// What a trained student is besides its config and weights: its trainable part (which adapters) and the dtype of its
/// base weights. Model zips record it, and it is the one recipe for rebuilding a student, from a zip or as a copy.
/// </summary>
internal sealed record StudentSpec(TrainableSet Trainable, ScalarType Precision)
{
    /// <summary>An empty student of this shape (random base weights, fresh adapters), ready to be filled by name.</summary>
    public DecoderForCausalLM Build(ModelConfig config)
    {
        var model = new DecoderForCausalLM(config, Precision);
        try
        {
            Trainable.ApplyTo(model, weightsFollow: true);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>An independent copy of a student of this spec: same weights and adapters, copied in memory.</summary>
    public CausalLM Copy(CausalLM student)
    {
        var model = Build(student.Config);
        try
        {
            var copier = new WeightCopier(model);
            copier.CopyAll(student.Model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), "the student");
            copier.EnsureComplete("the student");
            model.eval();
            return new CausalLM(model, student.TokenizerFiles, student.GenerationConfig, storedFamily: student.StoredFamily);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
