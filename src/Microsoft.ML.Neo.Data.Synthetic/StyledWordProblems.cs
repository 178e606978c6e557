namespace Microsoft.ML.Neo.Data.Synthetic;

/// <summary>
/// The embedded distillation task (docs/quickstart.md): <see cref="ArithmeticWordProblems"/>' four problem shapes, each
/// with three valid solution styles (the original, a wordier one that may take the steps in the other order, and a
/// compact one), picked uniformly; and references that can carry <see cref="ReferenceNoise"/>. A teacher trained on
/// many clean problems holds a distribution over the styles and knows the arithmetic; a student that learns from a few
/// noisy references sees one style per problem and copies the slips. That is where the teacher's scores can add what
/// the references lack. <see cref="WordProblem.Answer"/> is always the true answer, whatever the reference says.
/// </summary>
public static class StyledWordProblems
{
    /// <summary>Solution styles per problem shape.</summary>
    public const int StyleCount = 3;

    /// <summary>Makes <paramref name="count"/> problems from a seed; the same seed and noise give the same problems.</summary>
    public static List<WordProblem> Generate(int count, int seed, ReferenceNoise? noise = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        noise ??= ReferenceNoise.None;
        noise.Validate();
        // The noise has a generator of its own, so the same seed gives the same problems with any noise.
        var random = new Random(seed);
        var noiseRandom = new Random(unchecked(seed * 7919 + 17));
        var problems = new List<WordProblem>(count);
        while (problems.Count < count) problems.Add(Next(random, noiseRandom, noise));
        return problems;
    }

    // One problem: its story and numbers, a style, then the noise. Each style is its first step's true result, the
    // second step as a function of the first's (so a slip there carries on), and the text of both.
    private static WordProblem Next(Random random, Random noiseRandom, ReferenceNoise noise)
    {
        string name = Pick(random, Names), other = Pick(random, Names.Where(n => n != name).ToArray());
        string item = Pick(random, Items), box = Pick(random, Containers);
        int shape = random.Next(ArithmeticWordProblems.TemplateCount), style = random.Next(StyleCount);
        string question;
        (int First, Func<int, int> Second, Func<int, int, string> Text) solution;
        switch (shape)
        {
            case 0:
            {
                int a = random.Next(2, 40), b = random.Next(2, 10), c = random.Next(2, 10);
                question = $"{name} has {a} {item}. {name} buys {b} {box} with {c} {item} in each. How many {item} does {name} have now?";
                solution = style switch
                {
                    0 => (b * c, p => a + p, (p, s) => $"{name} buys {b}*{c}={p} {item}. Now {name} has {a}+{p}={s} {item}."),
                    1 => (b * c, p => a + p, (p, s) => $"{name} has {a} {item} and buys {b}*{c}={p} more. So {name} has {a}+{p}={s} {item}."),
                    _ => (b * c, p => a + p, (p, s) => $"{b}*{c}={p} and {a}+{p}={s}. So {name} has {s} {item}."),
                };
                break;
            }
            case 1:
            {
                int a = random.Next(10, 60), b = random.Next(2, a), c = random.Next(2, 30);
                question = $"{name} has {a} {item}. {name} gives away {b} and then buys {c} more. How many {item} does {name} have now?";
                solution = style switch
                {
                    0 => (a - b, l => l + c, (l, s) => $"{name} has {a}-{b}={l} {item} left. Now {name} has {l}+{c}={s} {item}."),
                    // The other order: buy first, then give away.
                    1 => (a + c, m => m - b, (m, s) => $"{name} buys {c} more and has {a}+{c}={m} {item}. Now {name} has {m}-{b}={s} {item}."),
                    _ => (a - b, l => l + c, (l, s) => $"{a}-{b}={l} and {l}+{c}={s}. So {name} has {s} {item}."),
                };
                break;
            }
            case 2:
            {
                int b = random.Next(2, 10), c = random.Next(2, 10), a = random.Next(1, b * c);
                question = $"{name} buys {b} {box} of {item} with {c} in each and gives {a} to a friend. How many {item} are left?";
                solution = style switch
                {
                    0 => (b * c, p => p - a, (p, s) => $"{name} buys {b}*{c}={p} {item}. So {p}-{a}={s} {item} are left."),
                    1 => (b * c, p => p - a, (p, s) => $"{name} has {b}*{c}={p} {item} and gives {a} to a friend. So {p}-{a}={s} {item} are left."),
                    _ => (b * c, p => p - a, (p, s) => $"{b}*{c}={p} and {p}-{a}={s}. So {s} {item} are left."),
                };
                break;
            }
            default:
            {
                int a = random.Next(2, 40), b = random.Next(2, 30);
                question = $"{name} has {a} {item} and {other} has {b} more than {name}. How many {item} do they have together?";
                solution = style switch
                {
                    0 => (a + b, t => a + t, (t, s) => $"{other} has {a}+{b}={t} {item}. Together they have {a}+{t}={s} {item}."),
                    // The other order of the sum's terms.
                    1 => (a + b, t => t + a, (t, s) => $"{name} has {a} {item} and {other} has {a}+{b}={t}. Together they have {t}+{a}={s} {item}."),
                    _ => (a + b, t => a + t, (t, s) => $"{a}+{b}={t} and {a}+{t}={s}. So they have {s} {item} together."),
                };
                break;
            }
        }

        int first = solution.First, answer = solution.Second(first);
        string text;
        if (noiseRandom.NextDouble() < noise.SlipRate)
        {
            // One slip, in either step; a wrong first result is carried into the second step, as a person would.
            int slip = Pick(noiseRandom, Slips);
            int shownFirst = first + slip, shownAnswer = solution.Second(shownFirst);
            if (noiseRandom.Next(2) == 0 || shownFirst < 0 || shownAnswer < 0)
            {
                shownFirst = first;
                shownAnswer = answer + Math.Abs(slip);
            }
            text = $"{solution.Text(shownFirst, shownAnswer)}\n#### {shownAnswer}";
        }
        else if (noiseRandom.NextDouble() < noise.AnswerOnlyRate)
        {
            text = $"#### {answer}";
        }
        else
        {
            text = $"{solution.Text(first, answer)}\n#### {answer}";
        }
        return new WordProblem(question, text, answer);
    }

    private static readonly string[] Names = ArithmeticWordProblems.Names;
    private static readonly string[] Items = ArithmeticWordProblems.Items;
    private static readonly string[] Containers = ArithmeticWordProblems.Containers;
    private static readonly int[] Slips = { -3, -2, -1, 1, 2, 3, 10, -10 };

    private static T Pick<T>(Random random, T[] values) => values[random.Next(values.Length)];
}
