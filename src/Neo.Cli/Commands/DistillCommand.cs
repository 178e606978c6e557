using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Training;
using Neo.Cli.Measurement;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// neo distill: distils between two Hugging Face folders on a JSON-lines file of prompt/response pairs and saves the
/// model zip. A checkpoint folder beside the zip keeps the run's progress: Ctrl+C (or a crash) and the same command
/// again continue where it stopped; a finished run removes it.
/// </summary>
internal static class DistillCommand
{
    private static readonly NeoDistillOptions Defaults = new();

    // vLLM's default max_logprobs, which neo serve shares: a served teacher's K that works against either at its defaults.

    public static Command Create()
    {
        var teacher = Optional<string?>("--teacher", "The teacher: a Hugging Face folder (config.json, *.safetensors, tokenizer), a model zip an earlier distill saved, or embedded:NAME; or use --teacher-url.");
        var teacherUrl = Optional<string?>("--teacher-url", "A served teacher instead: the base URL of an OpenAI-compatible server (vLLM, neo serve), e.g. http://gpu-box:8000.");
        var teacherModel = Optional<string?>("--teacher-model", "The served teacher's model id (default: the first the server lists).");
        var teacherKeyEnv = Optional<string?>("--teacher-api-key-env", "Name of the environment variable holding the served teacher's API key.");
        var teacherTokenizer = Optional<string?>("--teacher-tokenizer", "Folder with the served teacher's tokenizer files (default: the student's).");
        var teacherConcurrency = With("--teacher-concurrency", new TeacherEndpoint().MaxConcurrency, "Requests to the served teacher in flight at once.");
        var teacherCache = Optional<string?>("--teacher-cache", "Folder of the teacher's scores and generations (default for a served teacher: beside the checkpoints, the --checkpoints folder + \".teacher-cache\", so student.zip.checkpoint.teacher-cache).");
        var topK = Optional<int?>("--top-k", $"Teacher logits KD reads per position, online or cached alike (default: all of them for --teacher and --self, {NeoDistillOptions.CrossTokenizerTopK} with --cross-tokenizer, {TeacherMixture.DefaultMixtureTopK} per teacher with --teacher-mix; with --teacher-url {NeoDistillOptions.ServedTeacherTopK}, " +
            "the prompt_logprobs per request that vLLM and neo serve allow unless their --max-logprobs says more).");
        var teacherLogits = Optional<string?>("--teacher-logits", "A dataset of teacher logits as the teacher instead (Parquet or JSON lines in axolotl's or DistillKit's layout, or a folder of them; neo capture-logits writes one).");
        var distillKitConfig = Optional<string?>("--distillkit-config", "With --teacher-logits in DistillKit's compressed layout: the JSON form of its logprob_compressor settings.");
        var self = With("--self", false, "Self-distillation: the teacher is the student's own base (adapters off), no teacher model; give it context the student lacks with --priming.");
        var priming = With("--priming", Defaults.Priming, "What the teacher's prompt adds: None, Teacher, GroundTruth, GroundTruthWithAnswer (needs --answer-key), Confidence or Custom (--priming-template).");
        var primingTemplate = Optional<string?>("--priming-template", "With --priming Custom: the teacher's prompt, with {question} and optionally {answer}.");
        var answerKey = Optional<string?>("--answer-key", "The field of each data row holding its reference answer, shown to the teacher by GroundTruthWithAnswer (or {answer}).");
        var mixture = Optional<string[]?>("--teacher-mix", "Several teachers instead of one, each NAME=FOLDER[:WEIGHT] (repeat the flag): their distributions are mixed by weight, or with --teacher-key each row learns from the teacher it names.");
        mixture.AllowMultipleArgumentsPerToken = false;
        var teacherKey = Optional<string?>("--teacher-key", "With --teacher-mix: the field of each data row naming its teacher.");
        var crossTokenizer = With("--cross-tokenizer", Defaults.CrossTokenizer, "A teacher with another tokenizer: Hybrid (same tokens compared id by id, the rest by ULD) or Uld (ULD everywhere); None: one shared vocabulary.");
        var uldWeight = With("--uld-weight", Defaults.UldWeight, "With --cross-tokenizer: the weight of the ULD term, 0 to 100 (0 with Hybrid: only positions with the same token).");
        var cacheEncoding = With("--cache-encoding", Defaults.TeacherCacheEncoding, "How a new teacher score cache stores logits: Compact (packed ids, 10-bit logits) or Exact (float32).");
        var mode = With("--mode", Defaults.Mode, "Logits (the teacher scores the references) or Sequence (the teacher writes the responses).");
        var verifyAnswers = With("--verify-answers", Defaults.VerifyTeacherAnswers, "Sequence mode: drop teacher responses whose final answer disagrees with the reference's (--answer-key, else the reference response's).");
        var mismatchedWeight = With("--mismatched-weight", Defaults.MismatchedAnswerWeight, "With --verify-answers: keep disagreeing responses with this loss weight, 0 to 1, instead of dropping them.");
        var student = Required<string>("--student", "The student's Hugging Face folder; same tokenizer as the teacher.");
        var data = Required<string>("--data", "JSON-lines training data: one {\"prompt\": ..., \"response\": ...} object per line.");
        var promptKey = PromptKey();
        var responseKey = ResponseKey();
        var output = With("--out", "student.zip", "Where to save the ML.NET model zip.");
        var exportHf = Optional<string?>("--export-hf", "Also write the merged student as a Hugging Face folder here.");
        var exportPeft = Optional<string?>("--export-peft", "Also write the LoRA adapters as a PEFT folder here.");
        var rank = With("--rank", Defaults.LoraRank, "LoRA rank (1 or more).");
        var alpha = With("--alpha", Defaults.LoraAlpha, "LoRA alpha; the update is scaled by alpha / rank (alpha / √rank with --rslora).");
        var quantizeBase = With("--quantize-base", Defaults.BaseQuantization,
            "Hold the frozen student base and a local teacher as None, Int8 or NF4 codes, dequantized per layer in each pass (less memory, more time).");
        var activationCheckpointing = With("--activation-checkpointing", Defaults.ActivationCheckpointing,
            "Run each student layer again in the backward pass instead of keeping its activations (and, with --quantize-base, its dense weight): less memory, about one more forward pass.");
        var dora = With("--dora", Defaults.UseDora, "DoRA adapters: a trained magnitude per output row times the direction of the adapted weight.");
        var rsLora = With("--rslora", Defaults.UseRsLora, "rsLoRA: scale the update by alpha / √rank, so high ranks keep learning.");
        var loraInit = With("--lora-init", Defaults.LoraInitialization, "How adapters start: Default (zero update) or Pissa (the base weight's principal components; not with --dora).");
        var kd = With("--kd", Defaults.KdWeight, "Weight of the distillation loss, 0 to 1 (0: fine-tuning only).");
        var temperature = With("--temperature", Defaults.Temperature, "Softmax temperature of the distillation loss (above 0).");
        var divergence = With("--divergence", Defaults.Divergence, "The KD divergence: ForwardKL, ReverseKL, JensenShannon, TotalVariation, SkewedForwardKL or SkewedReverseKL.");
        var jsdBeta = With("--jsd-beta", Defaults.JsdBeta, "β of JensenShannon, 0 to 1 (0: forward KL, 1: reverse KL).");
        var skewAlpha = With("--skew-alpha", Defaults.SkewAlpha, "α of the skewed KLs, in (0, 1).");
        var finetuning = With("--finetuning", Defaults.Finetuning, "Lora (adapters, LLM-NEO) or Full (every weight: full KD, or SFT with --kd 0).");
        var onPolicy = With("--on-policy", Defaults.OnPolicyFraction, "Share of steps, 0 to 1, whose responses the student samples for the teacher to score (needs --kd above 0).");
        var onPolicyTemperature = With("--on-policy-temperature", Defaults.OnPolicyTemperature, "The student's sampling temperature on on-policy steps.");
        var learningRate = With("--lr", Defaults.LearningRate, "AdamW learning rate (above 0).");
        var epochs = With("--epochs", Defaults.Epochs, "Passes over the data (1 or more).");
        var batch = With("--batch", Defaults.BatchSize, "Sequences per optimizer step (1 or more).");
        var warmup = With("--warmup", Defaults.WarmupFraction, "Share of the steps over which the learning rate warms up linearly, 0 to 1.");
        var schedule = With("--schedule", Defaults.Schedule, "The learning rate after the warm-up: Cosine (down to 10 % of --lr), Linear (towards 0) or Constant.");
        var maxGradNorm = With("--max-grad-norm", Defaults.MaxGradientNorm, "Clip gradients to this global norm (Infinity: no clipping).");
        var beta1 = With("--adam-beta1", Defaults.AdamBeta1, "AdamW's beta1, in [0, 1).");
        var beta2 = With("--adam-beta2", Defaults.AdamBeta2, "AdamW's beta2, in [0, 1).");
        var epsilon = With("--adam-epsilon", Defaults.AdamEpsilon, "AdamW's epsilon, above 0.");
        var validationFile = Optional<string?>("--validation", "Held-out rows (JSON lines, the same keys as --data) whose response loss is measured while training.");
        var validateEvery = With("--validate-every", Defaults.ValidationEverySteps, "Steps between validations (0: ten per run); the last step is always validated.");
        var patience = With("--patience", Defaults.EarlyStoppingPatience, "Stop after this many validations without a new best loss (0: never). Needs --validation.");
        var validationAccuracy = With("--validation-accuracy", Defaults.ValidateAnswerAccuracy, "Also measure the answer accuracy of greedy completions of the validation rows (slower). Needs --validation.");
        var keepBest = With("--keep-best", Defaults.KeepBestWeights, "Save the weights of the step with the lowest validation loss, not the last step's. Needs --validation.");
        var plotFile = Optional<string?>("--plot", "Write the learning curves (training and validation loss per step) to this PNG.");
        var microBatch = With("--micro-batch", Defaults.MicroBatchSize,
            "Gradient accumulation: sequences per forward/backward pass, 1 to --batch (0: the whole batch). Same update, memory of the micro-batch.");
        var maxSteps = With("--max-steps", 0, "Stop after this many steps (0: no limit).");
        var maxNewTokens = With("--max-new-tokens", Defaults.MaxNewTokens, "Most tokens the saved model generates per prompt.");
        var seed = With("--seed", Defaults.Seed, "Random seed: same seed and data, same model.");
        var checkpoints = Optional<string?>("--checkpoints", "Checkpoint folder (default: the zip's path + \".checkpoint\").");
        var checkpointEvery = With("--checkpoint-every", Defaults.CheckpointEverySteps, "Save a checkpoint every this many steps.");
        var lossChunk = With("--loss-chunk", Defaults.LossChunkSize, "Rows per chunk of the loss (0: automatic, a 32 MiB block).");
        var precision = Precision();
        var command = new Command("distill",
            "Distil a teacher into a student with LoRA adapters (LLM-NEO) or every weight, and save an ML.NET model zip.")
        {
            teacher, teacherUrl, teacherModel, teacherKeyEnv, teacherTokenizer, teacherConcurrency, teacherCache, teacherLogits, distillKitConfig, cacheEncoding, self, priming, primingTemplate, answerKey, crossTokenizer, uldWeight, mixture, teacherKey, topK, mode, verifyAnswers, mismatchedWeight, student, data, promptKey, responseKey, output, exportHf, exportPeft, rank, alpha, quantizeBase, activationCheckpointing, dora, rsLora, loraInit, kd, temperature,
            divergence, jsdBeta, skewAlpha, finetuning, onPolicy, onPolicyTemperature, learningRate,
            epochs, batch, microBatch, validationFile, validateEvery, validationAccuracy, patience, keepBest, plotFile, warmup, schedule, maxGradNorm, beta1, beta2, epsilon, maxSteps, maxNewTokens, seed, checkpoints, checkpointEvery, lossChunk, precision,
        }.WithExample("neo distill --teacher ./teacher --student ./student --data train.jsonl --out student.zip --rank 16 --kd 0.5\n" +
            "  neo distill --teacher-url http://gpu-box:8000 --teacher-model llama-70b --student ./student --data train.jsonl\n" +
            "  neo distill --teacher ./teacher --student ./student --data train.jsonl --divergence JensenShannon --on-policy 0.5");
        // The teacher from its one flag: each kind has its own, and giving none or two is refused.
        NeoTeacher TeacherOf(ParseResult parse)
        {
            var given = new List<(string Flag, Func<NeoTeacher> Make)>();
            if (parse.GetValue(teacher) is { } folder) given.Add(("--teacher", () => new TeacherModel(ModelPath(folder)!)));
            if (parse.GetValue(teacherUrl) is { } url)
                given.Add(("--teacher-url", () => new TeacherEndpoint
                {
                    Url = url, Model = parse.GetValue(teacherModel), ApiKeyEnvironmentVariable = parse.GetValue(teacherKeyEnv),
                    TokenizerPath = parse.GetValue(teacherTokenizer), MaxConcurrency = parse.GetValue(teacherConcurrency),
                }));
            if (parse.GetValue(teacherLogits) is { } logits)
                given.Add(("--teacher-logits", () => new TeacherLogits(logits) { DistillKitConfigPath = parse.GetValue(distillKitConfig) }));
            if (parse.GetValue(self)) given.Add(("--self", () => new SelfTeacher()));
            if (parse.GetValue(mixture) is { Length: > 0 } members)
                given.Add(("--teacher-mix", () => new TeacherMixture
                {
                    Members = members.Select(ParseTeacher).ToList(),
                    RouteColumnName = parse.GetValue(teacherKey) is null ? null : nameof(PromptResponseRow.Teacher),
                }));
            if (given.Count != 1)
                throw new UsageException((given.Count == 0 ? "No teacher given. " : $"{string.Join(" and ", given.Select(g => g.Flag))} each name a teacher. ") +
                    "Give the teacher as a folder (--teacher), a server (--teacher-url), a dataset of its logits (--teacher-logits), " +
                    "the student's own base (--self) or several folders (--teacher-mix): exactly one.");
            return given[0].Make();
        }

        command.SetWork((parse, console, cancellation) =>
        {
            string zip = parse.GetValue(output)!;
            string checkpointFolder = parse.GetValue(checkpoints) ?? zip + ".checkpoint";
            string? url = parse.GetValue(teacherUrl);
            string? routeField = parse.GetValue(teacherKey);
            string? answerField = parse.GetValue(answerKey);
            var teacherKind = TeacherOf(parse);
            if (routeField is not null && teacherKind is not TeacherMixture)
                throw new UsageException("--teacher-key routes rows among the teachers of --teacher-mix; give --teacher-mix, or leave --teacher-key out.");
            bool runsTeacher = parse.GetValue(kd) > 0 || parse.GetValue(mode) == DistillationMode.Sequence;
            // What has no effect in this run is refused, not ignored.
            if (!runsTeacher && parse.GetValue(topK) is not null)
                throw new UsageException("--top-k sets how many teacher logits KD reads, and --kd 0 in Logits mode reads none; leave --top-k out, or set --kd above 0.");
            if (!runsTeacher && parse.GetValue(teacherCache) is not null)
                throw new UsageException("--teacher-cache keeps the teacher's answers, and --kd 0 in Logits mode never asks the teacher; leave it out, or set --kd above 0 or --mode Sequence.");
            var options = new NeoDistillOptions
            {
                Teacher = teacherKind,
                TeacherCacheDirectory = parse.GetValue(teacherCache), TeacherCacheEncoding = parse.GetValue(cacheEncoding),
                CrossTokenizer = parse.GetValue(crossTokenizer), UldWeight = parse.GetValue(uldWeight), Priming = parse.GetValue(priming), PrimingTemplate = parse.GetValue(primingTemplate),
                AnswerColumnName = answerField is null ? null : nameof(PromptResponseRow.Answer),
                TeacherScoreTopK = parse.GetValue(topK) ?? 0, Mode = parse.GetValue(mode),
                VerifyTeacherAnswers = parse.GetValue(verifyAnswers), MismatchedAnswerWeight = parse.GetValue(mismatchedWeight), StudentModelPath = ModelPath(parse.GetValue(student))!,
                LoraRank = parse.GetValue(rank), LoraAlpha = parse.GetValue(alpha), KdWeight = parse.GetValue(kd),
                BaseQuantization = parse.GetValue(quantizeBase), ActivationCheckpointing = parse.GetValue(activationCheckpointing), UseDora = parse.GetValue(dora), UseRsLora = parse.GetValue(rsLora), LoraInitialization = parse.GetValue(loraInit),
                Temperature = parse.GetValue(temperature), Divergence = parse.GetValue(divergence), JsdBeta = parse.GetValue(jsdBeta),
                SkewAlpha = parse.GetValue(skewAlpha), Finetuning = parse.GetValue(finetuning), OnPolicyFraction = parse.GetValue(onPolicy),
                OnPolicyTemperature = parse.GetValue(onPolicyTemperature), LearningRate = parse.GetValue(learningRate), Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch), MicroBatchSize = parse.GetValue(microBatch),
                WarmupFraction = parse.GetValue(warmup), Schedule = parse.GetValue(schedule), MaxGradientNorm = parse.GetValue(maxGradNorm),
                AdamBeta1 = parse.GetValue(beta1), AdamBeta2 = parse.GetValue(beta2), AdamEpsilon = parse.GetValue(epsilon), MaxSteps = parse.GetValue(maxSteps), MaxNewTokens = parse.GetValue(maxNewTokens),
                Seed = parse.GetValue(seed), CheckpointDirectory = checkpointFolder, CheckpointEverySteps = parse.GetValue(checkpointEvery),
                Precision = parse.GetValue(precision), LossChunkSize = parse.GetValue(lossChunk), Cancellation = cancellation,
                ValidationEverySteps = parse.GetValue(validateEvery), ValidateAnswerAccuracy = parse.GetValue(validationAccuracy), EarlyStoppingPatience = parse.GetValue(patience), KeepBestWeights = parse.GetValue(keepBest),
            };
            var ml = new MLContext(seed: options.Seed);
            string? validationPath = parse.GetValue(validationFile);
            if (validationPath is null && (options.EarlyStoppingPatience > 0 || options.KeepBestWeights || options.ValidateAnswerAccuracy))
                throw new UsageException($"{(options.KeepBestWeights ? "--keep-best" : options.ValidateAnswerAccuracy ? "--validation-accuracy" : "--patience")} " +
                    "judges the run on held-out rows; add --validation FILE (held-out rows like --data).");
            // A placeholder until the file is read, so the settings are checked before any data is.
            if (validationPath is not null) options.ValidationData = ml.Data.LoadFromEnumerable(new List<PromptResponseRow>());
            options.Validate(); // settings are checked before any data is read
            // Then every file the run needs, before the data is read or anything is written.
            if (parse.GetValue(teacher) is { } teacherFolder) ExistingModel("--teacher", teacherFolder);
            foreach (var member in (teacherKind as TeacherMixture)?.Members ?? []) ExistingModel("--teacher-mix", member.ModelPath!);
            if (parse.GetValue(teacherLogits) is { } logitsPath) ExistingInput("--teacher-logits", logitsPath, "a dataset of teacher logits (Parquet or JSON lines, or a folder of them, as neo capture-logits writes)");
            if (parse.GetValue(distillKitConfig) is { } configPath) ExistingInput("--distillkit-config", configPath, "the JSON form of DistillKit's logprob_compressor settings");
            if (parse.GetValue(teacherTokenizer) is { } tokenizerPath) ExistingInput("--teacher-tokenizer", tokenizerPath, "a folder with the served teacher's tokenizer files");
            ExistingModel("--student", parse.GetValue(student)!);
            ExistingInput("--data", parse.GetValue(data)!, JsonLinesData);
            if (validationPath is not null) ExistingInput("--validation", validationPath, JsonLinesData);
            var rows = PromptResponseFile.Read(parse.GetValue(data)!, parse.GetValue(promptKey)!, parse.GetValue(responseKey)!, answerKey: answerField, teacherKey: routeField, notice: console.WriteLine);
            console.WriteLine($"{rows.Count} prompt/response pairs from {parse.GetValue(data)}");
            if (validationPath is not null)
            {
                var validationRows = PromptResponseFile.Read(validationPath, parse.GetValue(promptKey)!, parse.GetValue(responseKey)!, answerKey: answerField, notice: console.WriteLine);
                options.ValidationData = ml.Data.LoadFromEnumerable(validationRows);
                console.WriteLine($"{validationRows.Count} validation pairs from {validationPath}");
            }
            if (NeoCheckpoints.CanResume(checkpointFolder)) console.WriteLine($"continuing from the checkpoint in {checkpointFolder}");

            var clock = System.Diagnostics.Stopwatch.StartNew();
            // The teacher's own progress (scores and generations, with requests/s and tokens/s) and warnings; the bar shows training.
            ml.Log += (_, e) =>
            {
                if (!e.Source.Contains("NeoDistill", StringComparison.Ordinal)) return;
                if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) console.WriteWarning(e.RawMessage);
                else if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && (e.RawMessage.StartsWith("teacher ", StringComparison.Ordinal)
                         || e.RawMessage.StartsWith("Quantized base", StringComparison.Ordinal) || e.RawMessage.StartsWith("Early stopping", StringComparison.Ordinal) || e.RawMessage.StartsWith("Kept the weights", StringComparison.Ordinal)))
                    console.WriteLine(e.RawMessage);
            };
            var trainingData = ml.Data.LoadFromEnumerable(rows);
            var recorder = new PhaseRecorder(skip: 1);
            using var model = console.Train("distilling", progress =>
            {
                options.Progress = new ProgressCallback<TrainingProgress>(p =>
                {
                    recorder.Report(p);
                    progress.Report(p);
                });
                // Fit resumes from the checkpoint folder, so a retry after libtorch's scalar race loses nothing.
                return NativeRetry.Run(() => ml.Transforms.NeoDistill(options).Fit(trainingData), console.WriteWarning,
                    $"from the last checkpoint in {checkpointFolder}");
            });
            console.WriteLine($"last step: {model.TrainingSummary}; student weights {model.Student.WeightDtype}" +
                (options.BaseQuantization == WeightQuantization.None ? "" : $" (the base was held as {options.BaseQuantization} codes while training, and is saved dense with the values it trained with)"));
            if (options.BaseQuantization != WeightQuantization.None && !options.ActivationCheckpointing)
                console.WriteLine("note: without --activation-checkpointing the backward pass keeps each layer's dense weight, so training's peak memory is not lower; " +
                                  "the codes save memory in the teacher and, with --activation-checkpointing, in the student (docs/concepts.md, \"A quantized frozen base\").");
            if (parse.GetValue(plotFile) is { } plotPath && recorder.Reports.Count > 0)
            {
                TrainingCurves.Save(plotPath, recorder.Reports);
                console.WriteLine($"learning curves written to {plotPath}");
            }
            RunMeasurement? measured = recorder.Reports.Count > 1 ? recorder.Measure() : null;
            if (measured is not null)
            {
                console.WriteLine(RunMeasurement.Header);
                console.WriteLine(measured.Row($"{options.Precision} ({model.Student.WeightDtype}), steps 2-{recorder.Reports.Count}"));
            }
            double training = model.TrainingSummary?.Elapsed.TotalSeconds ?? 0;
            console.WriteLine($"loading took {clock.Elapsed.TotalSeconds - training:F0} s, training {training:F0} s" +
                              (ProcessMemory.PeakGiB is double peak ? $"; peak memory so far {peak:F2} GiB" : ""));

            ml.Model.Save(model, trainingData.Schema, zip);
            console.WriteLine($"saved {zip}");
            if (parse.GetValue(exportHf) is { } hf)
            {
                model.ExportHuggingFace(hf);
                console.WriteLine($"merged student written to {hf}");
            }
            if (parse.GetValue(exportPeft) is { } peft)
            {
                model.ExportPeftAdapters(peft);
                console.WriteLine($"PEFT adapters written to {peft}");
            }
            // The zip holds everything now; a checkpoint left behind would make the next run with other settings fail.
            NeoCheckpoints.Delete(checkpointFolder);
            console.WriteResult(new
            {
                model = Path.GetFullPath(zip), rows = rows.Count, steps = model.TrainingSummary?.Step ?? 0,
                loss = model.TrainingSummary?.Loss, crossEntropy = model.TrainingSummary?.CrossEntropy, divergence = model.TrainingSummary?.Divergence,
                validationLoss = model.TrainingSummary?.ValidationLoss, validationAccuracy = model.TrainingSummary?.ValidationAccuracy, bestValidationLoss = model.TrainingSummary?.BestValidationLoss,
                bestValidationStep = model.TrainingSummary?.BestValidationStep,
                weights = model.Student.WeightDtype, precision = options.Precision, measurement = measured,
            });
            return ExitCodes.Success;
        });
        return command;
    }

    // NAME=FOLDER[:WEIGHT], the folder possibly embedded:NAME.
    private static DistillationTeacher ParseTeacher(string value)
    {
        int equals = value.IndexOf('=');
        if (equals <= 0) throw new UsageException($"--teacher-mix '{value}': write NAME=FOLDER or NAME=FOLDER:WEIGHT.");
        string name = value[..equals], rest = value[(equals + 1)..];
        float weight = 1;
        int colon = rest.LastIndexOf(':');
        if (colon > 0 && float.TryParse(rest[(colon + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float parsed))
        {
            weight = parsed;
            rest = rest[..colon];
        }
        return new DistillationTeacher { Name = name, ModelPath = ModelPath(rest), Weight = weight };
    }
}
