// Export a distilled student for the Hugging Face ecosystem, two ways, and check both against the zip:
//   merged: the adapters folded into the weights, a plain folder transformers, vLLM or `neo serve` load;
//   PEFT:   adapter_config.json + adapter_model.safetensors, applied to the unchanged base student.
//   dotnet run --project src/Neo.Samples/ExportToHuggingFace -- MODEL.zip BASE_STUDENT OUT_DIR [PROMPT]
// BASE_STUDENT is the folder the zip was trained from (for the PEFT check). Exit code 1 if an export disagrees.
using Microsoft.ML;
using Microsoft.ML.Neo;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: ExportToHuggingFace MODEL.zip BASE_STUDENT OUT_DIR [PROMPT]");
    return 2;
}
string zip = args[0], baseStudent = args[1], output = args[2];
string prompt = args.Length > 3 ? args[3] : "Question: Tom has 5 stamps. He buys 3 more. How many stamps does Tom have now?\nAnswer:";
string merged = Path.Combine(output, "merged"), peft = Path.Combine(output, "peft");

using var distilled = (NeoDistillTransformer)new MLContext().Model.Load(zip, out _);
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
bool agree = fromMerged == fromZip && fromPeft == fromZip;
Console.WriteLine(agree ? "all three agree" : "the exports disagree with the zip");
return agree ? 0 : 1;
