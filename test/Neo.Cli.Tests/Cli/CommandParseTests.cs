using System.Text.RegularExpressions;

namespace Microsoft.ML.Neo.Tests.Cli;

/// <summary>
/// Every command that `neo --help` lists parses: its --help exits 0 with an example, and an option it does not have
/// exits 2 naming it. The command list is read from the tool, so a new command is covered without editing this test.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed partial class CommandParseTests
{
    private static List<string> Commands()
    {
        var (code, stdout, _) = NeoCliTests.Neo("--help");
        Assert.AreEqual(0, code);
        int start = stdout.IndexOf("Commands:", StringComparison.Ordinal) + "Commands:".Length;
        int end = stdout.IndexOf("\nExample:", start, StringComparison.Ordinal);
        string commands = stdout[start..(end < 0 ? stdout.Length : end)];
        return CommandLine().Matches(commands).Select(m => m.Groups[1].Value).Where(name => name != "help").ToList();
    }

    [TestMethod]
    public void TheToolListsItsProductCommands()
    {
        var commands = Commands();
        foreach (var expected in new[] { "distill", "serve", "sweep", "evaluate", "export", "predict", "attention", "make-student", "tokenize", "capture-logits", "quickstart" })
            CollectionAssert.Contains(commands, expected);
        CollectionAssert.DoesNotContain(commands, "neo", "the example after the list is not a command");
    }

    [TestMethod]
    public void EveryCommandHasHelpWithAnExampleAndRefusesAnUnknownOption()
    {
        var failures = new List<string>();
        foreach (var command in Commands())
        {
            var help = NeoCliTests.Neo(command, "--help");
            if (help.ExitCode != 0 || !help.Stdout.Contains("Example:", StringComparison.Ordinal))
                failures.Add($"neo {command} --help: exit {help.ExitCode}, example {(help.Stdout.Contains("Example:") ? "shown" : "missing")}");
            var wrong = NeoCliTests.Neo(command, "--no-such-option", "1");
            if (wrong.ExitCode != 2 || !wrong.Stderr.Contains("--no-such-option", StringComparison.Ordinal))
                failures.Add($"neo {command} --no-such-option: exit {wrong.ExitCode}: {wrong.Stderr.Trim()}");
        }
        Assert.AreEqual(0, failures.Count, string.Join("\n", failures));
    }

    // "  distill             Distil a teacher ..." : a command's name starts a line, indented two spaces.
    [GeneratedRegex(@"^  ([a-z][a-z-]*)\s", RegexOptions.Multiline)]
    private static partial Regex CommandLine();
}
