using System.CommandLine;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Checkpoints;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>neo make-student: a student made of some of a teacher's layers (same tokenizer and width).</summary>
internal static class MakeStudentCommand
{
    public static Command Create()
    {
        var from = Required<string>("--from", "The teacher's Hugging Face folder.");
        var layers = With("--layers", 4, "How many decoder layers to keep, evenly spaced, first and last included.");
        var output = Required<string>("--out", "The student folder to write.");
        var dtype = With("--dtype", "bf16", "Weight dtype to write: bf16, f16 or f32.").AcceptOnlyFromAmong("bf16", "f16", "f32");
        var command = new Command("make-student",
            "Make a student from a teacher by keeping some of its decoder layers (LLM-NEO's students are made this way).")
        {
            from, layers, output, dtype,
        }.WithExample("neo make-student --from ./TinyLlama-1.1B --layers 6 --out ./student");
        command.SetWork((parse, console, _) =>
        {
            var weights = parse.GetValue(dtype) switch { "f16" => SafeTensorsDtype.Float16, "f32" => SafeTensorsDtype.Float32, _ => SafeTensorsDtype.BFloat16 };
            string folder = parse.GetValue(output)!;
            using var student = CausalLM.FromPretrainedLayers(ExistingModel("--from", parse.GetValue(from)!), parse.GetValue(layers));
            if (student.TokenizerWarning is { } warning) console.WriteWarning($"{warning} Copy the tokenizer files into '{folder}' yourself.");
            student.SavePretrained(folder, weights);
            console.WriteLine($"student: {student.Config.NumHiddenLayers} layers, {student.ParameterCount / 1e6:F1} M parameters, written to {folder}");
            console.WriteResult(new { student = Path.GetFullPath(folder), layers = student.Config.NumHiddenLayers, parameters = student.ParameterCount });
            return ExitCodes.Success;
        });
        return command;
    }
}
