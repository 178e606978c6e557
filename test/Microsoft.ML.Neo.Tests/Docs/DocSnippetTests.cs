using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Microsoft.ML.Neo.Tests.Docs;

/// <summary>
/// Every ```csharp block in README.md and docs/ is a program a reader can paste into a new console app: it must compile
/// on its own, against the library and the packages the text names, with only the SDK's implicit usings added (as
/// `dotnet new console` has). Blocks are compiled, not run: they name model folders the test machine does not have.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed partial class DocSnippetTests
{
    // What `dotnet new console` puts in scope (ImplicitUsings).
    private const string ImplicitUsings =
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
        "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;";

    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(LoadReferences);

    public static IEnumerable<object[]> Snippets()
    {
        string root = RepositoryPaths.Root();
        var files = Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Prepend(Path.Combine(root, "README.md")).Order(StringComparer.Ordinal);
        foreach (string file in files)
        {
            string text = File.ReadAllText(file);
            foreach (Match block in CSharpBlock().Matches(text))
            {
                int line = text[..block.Index].Count(c => c == '\n') + 1;
                yield return new object[] { $"{Path.GetRelativePath(root, file)}:{line}", block.Groups[1].Value };
            }
        }
    }

    [TestMethod]
    public void TheDocsHaveCSharpBlocks() => Assert.IsTrue(Snippets().Count() >= 10, "the snippet scan found too few blocks");

    [TestMethod]
    [DynamicData(nameof(Snippets))]
    public void CompilesAsAConsoleProgram(string place, string code)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Preview);
        var compilation = CSharpCompilation.Create("Snippet",
            new[] { CSharpSyntaxTree.ParseText(ImplicitUsings, parse), CSharpSyntaxTree.ParseText(code, parse, path: place) },
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.AreEqual(0, errors.Count, $"{place} does not compile:\n" + string.Join("\n", errors.Take(8).Select(e => e.ToString())));
    }

    [TestMethod]
    public void TheConsoleAppInTheDocsIsTheOneThePackageChecksBuild()
    {
        string root = RepositoryPaths.Root();
        string doc = File.ReadAllText(Path.Combine(root, "docs", "using-in-your-app.md"));
        string program = File.ReadAllText(Path.Combine(root, "test", "Packages", "NeoConsumer", "Program.cs"));
        Assert.IsTrue(CSharpBlock().Matches(doc).Any(block => block.Groups[1].Value == program),
            "docs/using-in-your-app.md must show test/Packages/NeoConsumer/Program.cs exactly");
    }

    /// <summary>
    /// Every command line in the shell blocks names a command and options its program has: `neo ...` and
    /// `./build.sh neo ...` (the tool), `./build.sh bench ...` (neo-bench) and `./build.sh sample PaperExperiments ...`
    /// run with --help, where an unknown command or option exits 2; `./build.sh sample NAME` must name a sample.
    /// </summary>
    [TestMethod]
    public void EveryNeoCommandLineInTheDocsParses()
    {
        string root = RepositoryPaths.Root();
        var failures = new List<string>();
        int checkedLines = 0;
        foreach (string file in Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Prepend(Path.Combine(root, "README.md")))
        {
            foreach (Match block in ShellBlock().Matches(File.ReadAllText(file)))
            {
                // Continuation lines join their command; comments go.
                string joined = block.Groups[1].Value.Replace("\\\n", " ");
                foreach (string raw in joined.Split('\n'))
                {
                    string line = Regex.Replace(raw, @"\s#\s.*$", "").Trim();
                    line = Regex.Replace(line, @"^([A-Z_]+=\S*\s+)+", ""); // VAR=value prefixes
                    var (program, arguments) = ProgramOf(root, line);
                    if (program is null) continue;
                    checkedLines++;
                    if (arguments is null)
                    {
                        if (!File.Exists(program)) failures.Add($"{Path.GetRelativePath(root, file)}: '{line}' names no sample");
                        continue;
                    }
                    var (code, _, error) = ToolProcesses.RunProgram(program, [.. ShellWords(arguments), "--help"]);
                    if (code != 0) failures.Add($"{Path.GetRelativePath(root, file)}: '{line}' -> exit {code}: {error.Trim()}");
                }
            }
        }
        Assert.IsTrue(checkedLines >= 15, $"only {checkedLines} command lines found");
        Assert.AreEqual(0, failures.Count, string.Join("\n", failures));
    }

    // The built program a documented command line runs, and its arguments (null: only check that the program exists).
    private static (string? Program, string? Arguments) ProgramOf(string root, string line)
    {
        string tool = Path.Combine(RepositoryPaths.ToolFolder(), "neo.dll");
        if (line.StartsWith("neo ", StringComparison.Ordinal)) return (tool, line[4..]);
        if (line.StartsWith("./build.sh neo ", StringComparison.Ordinal)) return (tool, line["./build.sh neo ".Length..]);
        if (line == "./build.sh bench" || line.StartsWith("./build.sh bench ", StringComparison.Ordinal))
        {
            string rest = line["./build.sh bench".Length..].Trim();
            // No command, or options only: build.sh runs the training benchmark.
            return (RepositoryPaths.BenchProgram(), rest.Length == 0 || rest.StartsWith('-') ? ("train " + rest).Trim() : rest);
        }
        if (!line.StartsWith("./build.sh sample ", StringComparison.Ordinal)) return (null, null);
        var words = line["./build.sh sample ".Length..].Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        if (words[0].StartsWith('<')) return (null, null); // a placeholder: ./build.sh sample <name>
        string sample = RepositoryPaths.SampleProgram(words[0]);
        // PaperExperiments has commands and options to check; the other samples take positional arguments.
        return words[0] == "PaperExperiments" ? (sample, words.Length > 1 ? words[1] : "") : (sample, null);
    }

    // Words as a POSIX shell splits them, for the quoting the docs use ("..." and '...').
    private static IEnumerable<string> ShellWords(string line) =>
        Regex.Matches(line, "\"([^\"]*)\"|'([^']*)'|(\\S+)").Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value);

    [GeneratedRegex(@"^```(?:bash|sh|shell)[ \t]*\r?\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [TestMethod]
    public void TheDocsLinkOnlyToWhatTheRepositoryHolds()
    {
        // A reader of a clone (or of the package) has nothing outside the repository: no ../shared/..., no missing files.
        string root = RepositoryPaths.Root();
        var broken = new List<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Prepend(Path.Combine(root, "README.md")))
        {
            string text = File.ReadAllText(file);
            if (text.Contains("../shared", StringComparison.Ordinal)) broken.Add($"{Path.GetRelativePath(root, file)}: mentions ../shared");
            foreach (Match link in Regex.Matches(text, @"\]\(([^)#:\s]+)(#[^)]*)?\)"))
            {
                string target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, link.Groups[1].Value));
                if (!File.Exists(target) && !Directory.Exists(target)) broken.Add($"{Path.GetRelativePath(root, file)}: {link.Groups[1].Value}");
                else if (!target.StartsWith(root, StringComparison.Ordinal)) broken.Add($"{Path.GetRelativePath(root, file)}: {link.Groups[1].Value} is outside the repository");
            }
        }
        Assert.AreEqual(0, broken.Count, string.Join("\n", broken));
    }

    // The framework's assemblies (ASP.NET Core's too, which NeoServer's API uses), then every library beside the tests.
    private static IReadOnlyList<MetadataReference> LoadReferences()
    {
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string core = RuntimeEnvironment.GetRuntimeDirectory();
        string aspNet = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(core.TrimEnd(Path.DirectorySeparatorChar)))!,
            "Microsoft.AspNetCore.App", new DirectoryInfo(core).Name);
        foreach (string folder in new[] { core, aspNet, AppContext.BaseDirectory }.Where(Directory.Exists))
        {
            foreach (string dll in Directory.GetFiles(folder, "*.dll"))
            {
                string name = Path.GetFileName(dll);
                if (paths.ContainsKey(name) || name.StartsWith("Microsoft.ML.Neo.Tests", StringComparison.Ordinal) || IsNative(dll)) continue;
                paths[name] = dll;
            }
        }
        return paths.Values.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
    }

    private static bool IsNative(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return false;
        }
        catch (BadImageFormatException)
        {
            return true;
        }
    }

    [GeneratedRegex(@"^```csharp[ \t]*\r?\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
