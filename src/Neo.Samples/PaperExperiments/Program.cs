// The two paper experiments on the embedded models, as a console app with two commands:
//   llm-neo            LLM-NEO's table: SFT, LoRA, full KD and LoRA + KD (docs/llm-neo.md)
//   response-priming   the response-priming table: KD from a teacher with and without priming text (docs/response-priming.md)
// Each takes --help. They run for hours at their defaults; docs/llm-neo.md and docs/response-priming.md give the
// command lines behind the published tables and the smallest settings that still exercise each path.
using Neo.Cli.Terminal;
using PaperExperiments;

var root = NeoCommandLine.Create(
    "PaperExperiments: the LLM-NEO and response-priming tables on the embedded models. " +
    "'PaperExperiments <command> --help' shows a command's options.",
    "./build.sh sample PaperExperiments llm-neo --seeds 1,2,3",
    [LlmNeoCommand.Create(), ResponsePrimingCommand.Create()]);
return NeoCommandLine.Invoke(root, args);
