// Export a distilled student for the Hugging Face ecosystem, two ways, and check both against the zip:
//   merged: the adapters folded into the weights, a plain folder transformers, vLLM or `neo serve` load;
//   PEFT:   adapter_config.json + adapter_model.safetensors, applied to the unchanged base student.
//   dotnet run --project src/Neo.Samples/ExportToHuggingFace [-- --model student.zip --base-student DIR --out DIR]
// Exit code 1 if an export disagrees: the two exports always with each other, and with a float32 zip. A zip trained in
// bfloat16 computes in bfloat16, so its greedy text can part from the float32 exports' after some tokens.
using Microsoft.ML;
using Microsoft.ML.Neo;
using Neo.Samples;

return SampleOptions.Run(args, """
    usage: ExportToHuggingFace [options]
      --model ZIP          a model zip (default: samples-out/DistillInAPipeline/student.zip, which DistillInAPipeline writes)
      --base-student DIR   the folder the zip was trained from, for the PEFT check (default: the embedded styled-student)
      --out DIR            where merged/ and peft/ go (default: samples-out/ExportToHuggingFace)
      --prompt TEXT        the prompt the three are compared on; \n stands for a line break
    """, Export);

static int Export(SampleOptions settings)
{
    string zip = settings.ExistingPath("model", Path.Combine(SampleOptions.OutputRoot, "DistillInAPipeline", "student.zip"));
    string baseStudent = settings.ExistingPath("base-student", SampleOptions.Embedded("styled-student"));
    string output = settings.OutputFolder("ExportToHuggingFace");
    string prompt = settings.Text("prompt", @"Question: Tom has 5 stamps. He buys 3 more. How many stamps does Tom have now?\nAnswer:").Replace("\\n", "\n");
    string merged = Path.Combine(output, "merged"), peft = Path.Combine(output, "peft");

    using var distilled = new MLContext().Model.LoadNeoDistill(zip);
    distilled.ExportHuggingFace(merged, SafeTensorsDtype.Float32);
    distilled.ExportPeftAdapters(peft);
    Console.WriteLine($"wrote {merged} and {peft}");

    // Greedy completions from the zip, the merged folder, and base + PEFT adapters should agree.
    var greedy = new GenerationOptions { MaxNewTokens = 48 };
    string fromZip = distilled.Student.Generate(prompt, greedy);
    using var mergedModel = CausalLM.FromPretrained(merged);
    string fromMerged = mergedModel.Generate(prompt, greedy);
    using var adapted = CausalLM.FromPretrained(baseStudent);
    adapted.LoadPeftAdapters(peft);
    string fromPeft = adapted.Generate(prompt, greedy);

    Console.WriteLine($"zip:    {fromZip.Trim()}");
    Console.WriteLine($"merged: {fromMerged.Trim()}");
    Console.WriteLine($"peft:   {fromPeft.Trim()}");
    bool exportsAgree = fromMerged == fromPeft, exact = distilled.Student.WeightDtype == "float32";
    bool agree = exportsAgree && (!exact || fromZip == fromMerged);
    Console.WriteLine(!exportsAgree ? "the merged folder and base + PEFT disagree"
        : fromZip == fromMerged ? "all three agree"
        : exact ? "the exports disagree with the zip"
        : $"the exports agree; the zip computes in {distilled.Student.WeightDtype}, so its greedy text parts from their float32 one (train with Precision = Float32 to compare exactly)");
    return agree ? 0 : 1;
}
