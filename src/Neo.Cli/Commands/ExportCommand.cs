using System.CommandLine;
using Microsoft.ML.Neo.Checkpoints;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>neo export: writes a model zip's student as a merged Hugging Face folder and/or its adapters as PEFT.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = Required<string>("--model", "A model zip saved by NeoDistill.");
        var hf = Optional<string?>("--hf", "Write the student with its adapters merged, as a Hugging Face folder here.");
        var peft = Optional<string?>("--peft", "Write the LoRA adapters as a PEFT folder here (adapter_config.json, adapter_model.safetensors).");
        var dtype = With("--dtype", "f32", "Weight dtype of the merged folder: f32, bf16 or f16.").AcceptOnlyFromAmong("f32", "bf16", "f16");
        var command = new Command("export",
            "Export a distilled model zip for Hugging Face tools: merged weights (--hf) or PEFT adapters (--peft).")
        {
            model, hf, peft, dtype,
        }.WithExample("neo export --model student.zip --hf ./student-merged --dtype bf16");
        command.SetWork((parse, console, _) =>
        {
            string? hfFolder = parse.GetValue(hf), peftFolder = parse.GetValue(peft);
            if (hfFolder is null && peftFolder is null) throw new UsageException("Nothing to export: pass --hf DIR, --peft DIR, or both.");
            using var source = ModelSource.OpenDistilled(parse.GetValue(model)!);
            if (peftFolder is not null)
            {
                source.ExportPeftAdapters(peftFolder);
                console.WriteLine($"PEFT adapters written to {peftFolder}");
            }
            if (hfFolder is not null)
            {
                var weights = parse.GetValue(dtype) switch { "bf16" => SafeTensorsDtype.BFloat16, "f16" => SafeTensorsDtype.Float16, _ => SafeTensorsDtype.Float32 };
                source.ExportHuggingFace(hfFolder, weights);
                console.WriteLine($"merged student written to {hfFolder}");
            }
            console.WriteResult(new { hf = hfFolder is null ? null : Path.GetFullPath(hfFolder), peft = peftFolder is null ? null : Path.GetFullPath(peftFolder) });
            return ExitCodes.Success;
        });
        return command;
    }
}
