using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter, in PyTorch's form: decoupled weight decay, bias correction; β = (0.9, 0.999) and
/// ε = 1e-8 unless given). Written here rather than taken from TorchSharp because TorchSharp's AdamW creates short-lived scalars on
/// every parameter at every step that a garbage collection can free mid-call (see <see cref="KeptScalars"/>); this one
/// holds each step's scalars until the step ends. Its state (both moments and the step count) saves to safetensors.
/// </summary>
internal sealed class AdamW : IDisposable
{
    private readonly double Beta1, Beta2, Epsilon;
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> parameters;
    private readonly Tensor[] firstMoments, secondMoments;
    private readonly double weightDecay;

    public AdamW(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double learningRate, double weightDecay,
        double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        (Beta1, Beta2, Epsilon) = (beta1, beta2, epsilon);
        this.parameters = parameters;
        this.weightDecay = weightDecay;
        LearningRate = learningRate;
        firstMoments = parameters.Select(p => zeros_like(p.Parameter, dtype: ScalarType.Float32)).ToArray();
        secondMoments = parameters.Select(p => zeros_like(p.Parameter, dtype: ScalarType.Float32)).ToArray();
    }

    /// <summary>The learning rate of the next step.</summary>
    public double LearningRate { get; set; }

    /// <summary>Steps taken (the bias correction's t).</summary>
    public long Steps { get; private set; }

    public void ZeroGrad()
    {
        using var scope = NewDisposeScope();
        foreach (var (_, parameter) in parameters) parameter.grad?.zero_();
    }

    public void Step()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        Steps++;
        double biasCorrection1 = 1 - Math.Pow(Beta1, Steps), biasCorrection2 = 1 - Math.Pow(Beta2, Steps);
        using var decay = (1 - LearningRate * weightDecay).ToScalar();
        using var beta1 = Beta1.ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var gradientShare1 = (1 - Beta1).ToScalar();
        using var gradientShare2 = (1 - Beta2).ToScalar();
        using var secondMomentScale = Math.Sqrt(biasCorrection2).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        using var stepSize = (-LearningRate / biasCorrection1).ToScalar();
        for (int i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters[i].Parameter;
            var gradient = parameter.grad;
            if (gradient is null) continue;
            var m = firstMoments[i];
            var v = secondMoments[i];
            if (weightDecay != 0) parameter.mul_(decay);
            m.mul_(beta1).add_(gradient, gradientShare1);
            v.mul_(beta2).addcmul_(gradient, gradient, gradientShare2);
            var denominator = v.sqrt().div_(secondMomentScale).add_(epsilon, KeptScalars.One);
            parameter.addcdiv_(m, denominator, stepSize);
        }
    }

    /// <summary>Writes both moments (the step count is the caller's to keep).</summary>
    public void Save(string path) =>
        SafeTensorsWriter.Write(path,
            parameters.Select((p, i) => new KeyValuePair<string, Tensor>("exp_avg." + p.Name, firstMoments[i]))
                .Concat(parameters.Select((p, i) => new KeyValuePair<string, Tensor>("exp_avg_sq." + p.Name, secondMoments[i]))),
            SafeTensorsDtype.Float32);

    /// <summary>Reads what <see cref="Save"/> wrote for the same parameters.</summary>
    public void Load(string path, long steps)
    {
        using var reader = new SafeTensorsReader(path);
        using var _ = no_grad();
        for (int i = 0; i < parameters.Count; i++)
        {
            foreach (var (prefix, target) in new[] { ("exp_avg.", firstMoments[i]), ("exp_avg_sq.", secondMoments[i]) })
            {
                string name = prefix + parameters[i].Name;
                if (!reader.Tensors.TryGetValue(name, out var info) || !info.Shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"it has no moment '{name}' of shape [{string.Join(", ", target.shape)}]");
                using var stored = reader.ReadFloat32(name);
                target.copy_(stored);
            }
        }
        Steps = steps;
    }

    public void Dispose()
    {
        foreach (var tensor in firstMoments.Concat(secondMoments)) tensor.Dispose();
    }
}
