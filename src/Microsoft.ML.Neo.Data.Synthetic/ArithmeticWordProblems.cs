using Microsoft.ML.Neo.Data;

namespace Microsoft.ML.Neo.Data.Synthetic;

/// <summary>
/// Generates multi-step arithmetic word problems in GSM8K's format: a short story, a worked solution whose
/// steps show each intermediate result, and a final line <c>#### answer</c>. Every problem needs two
/// operations (for example a product, then a sum); operands are small so that tiny models can learn the task.
/// </summary>
public static class ArithmeticWordProblems
{
    internal static readonly string[] Names = { "Tom", "Ana", "Sam", "Lily", "Ben", "Mia", "Leo", "Zoe", "Max", "Eva" };
    internal static readonly string[] Items = { "apples", "pens", "books", "cards", "eggs", "coins", "shells", "stamps" };
    internal static readonly string[] Containers = { "bags", "boxes", "packs", "jars" };

    /// <summary>Number of distinct problem shapes.</summary>
    public const int TemplateCount = 4;

    /// <summary>Makes <paramref name="count"/> problems from a seed; the same seed gives the same problems.</summary>
    /// <param name="shapes">Which problem shapes (0 .. <see cref="TemplateCount"/> − 1) to draw from; null means all.</param>
    public static List<WordProblem> Generate(int count, int seed, IReadOnlyCollection<int>? shapes = null)
    {
        var allowed = (shapes ?? Enumerable.Range(0, TemplateCount).ToArray()).Distinct().ToArray();
        if (allowed.Length == 0 || allowed.Any(s => s < 0 || s >= TemplateCount))
            throw new ArgumentOutOfRangeException(nameof(shapes), $"Problem shapes must be between 0 and {TemplateCount - 1}.");
        var random = new Random(seed);
        var problems = new List<WordProblem>(count);
        while (problems.Count < count)
        {
            int shape = random.Next(TemplateCount);
            var problem = Next(random, shape);
            if (allowed.Contains(shape)) problems.Add(problem);
        }
        return problems;
    }

    /// <summary>The prompt of a question, in the GSM8K rows' format (<see cref="Gsm8kLoader.FormatPrompt"/>).</summary>
    public static string FormatPrompt(string question) => Gsm8kLoader.FormatPrompt(question);

    /// <summary>Every word the templates use, for building a tokenizer whose pieces cover them.</summary>
    public static IEnumerable<string> Vocabulary()
    {
        var words = new List<string>();
        words.AddRange(Names);
        words.AddRange(Items);
        words.AddRange(Containers);
        words.AddRange(new[]
        {
            "Question", "Answer", "has", "buys", "with", "in", "each", "How", "many", "does", "have", "now",
            "gives", "away", "and", "then", "more", "of", "to", "a", "friend", "are", "left", "than", "do",
            "they", "together", "Together", "Now", "So",
        });
        return words.Select(w => " " + w).Append("####");
    }

    /// <summary>The single characters the tokenizer must hold as pieces (digits, letters, punctuation).</summary>
    public static IEnumerable<string> Characters()
    {
        for (char c = '0'; c <= '9'; c++) yield return c.ToString();
        for (char c = 'a'; c <= 'z'; c++) yield return c.ToString();
        for (char c = 'A'; c <= 'Z'; c++) yield return c.ToString();
        foreach (char c in " .,?:+-*=#") yield return c.ToString();
    }

    private static WordProblem Next(Random random, int template)
    {
        string name = Pick(random, Names);
        string other = Pick(random, Names.Where(n => n != name).ToArray());
        string item = Pick(random, Items);
        string box = Pick(random, Containers);
        switch (template)
        {
            case 0:
            {
                int a = random.Next(2, 40), b = random.Next(2, 10), c = random.Next(2, 10);
                int product = b * c, answer = a + product;
                return new WordProblem(
                    $"{name} has {a} {item}. {name} buys {b} {box} with {c} {item} in each. How many {item} does {name} have now?",
                    $"{name} buys {b}*{c}={product} {item}. Now {name} has {a}+{product}={answer} {item}.\n#### {answer}",
                    answer);
            }
            case 1:
            {
                int a = random.Next(10, 60), b = random.Next(2, a), c = random.Next(2, 30);
                int left = a - b, answer = left + c;
                return new WordProblem(
                    $"{name} has {a} {item}. {name} gives away {b} and then buys {c} more. How many {item} does {name} have now?",
                    $"{name} has {a}-{b}={left} {item} left. Now {name} has {left}+{c}={answer} {item}.\n#### {answer}",
                    answer);
            }
            case 2:
            {
                int b = random.Next(2, 10), c = random.Next(2, 10);
                int product = b * c, a = random.Next(1, product), answer = product - a;
                return new WordProblem(
                    $"{name} buys {b} {box} of {item} with {c} in each and gives {a} to a friend. How many {item} are left?",
                    $"{name} buys {b}*{c}={product} {item}. So {product}-{a}={answer} {item} are left.\n#### {answer}",
                    answer);
            }
            default:
            {
                int a = random.Next(2, 40), b = random.Next(2, 30);
                int second = a + b, answer = a + second;
                return new WordProblem(
                    $"{name} has {a} {item} and {other} has {b} more than {name}. How many {item} do they have together?",
                    $"{other} has {a}+{b}={second} {item}. Together they have {a}+{second}={answer} {item}.\n#### {answer}",
                    answer);
            }
        }
    }

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];
}
