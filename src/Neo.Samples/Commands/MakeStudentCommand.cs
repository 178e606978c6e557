using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Checkpoints;

namespace Neo.Samples.Commands;

/// <summary>
/// Makes a student from a teacher folder by keeping some of its layers (same tokenizer and width):
///   make-student --from DIR --layers 6 --out DIR [--dtype bf16|f16|f32]
/// </summary>
internal static class MakeStudentCommand
{
    public static int Run(CommandLine args)
    {
        string from = args.Get("from", ""), output = args.Get("out", "");
        if (from.Length == 0 || output.Length == 0)
        {
            Console.Error.WriteLine("make-student: pass --from <teacher folder> --layers <count> --out <student folder>.");
            return 2;
        }
        var dtype = args.Get("dtype", "bf16") switch
        {
            "bf16" => SafeTensorsDtype.BFloat16,
            "f16" => SafeTensorsDtype.Float16,
            "f32" => SafeTensorsDtype.Float32,
            var other => throw new ArgumentException($"--dtype '{other}' is not one of bf16, f16, f32."),
        };
        using var student = CausalLM.FromPretrainedLayers(from, args.Get("layers", 4));
        student.SavePretrained(output, dtype);
        Console.WriteLine($"student: {student.Config.NumHiddenLayers} layers, {student.ParameterCount / 1e6:F0} M parameters, written to {output}");
        return 0;
    }
}
