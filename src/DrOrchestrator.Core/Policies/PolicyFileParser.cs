using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DrOrchestrator.Core.Policies;

/// <summary>
/// Parses and validates a policy file: one or more YAML documents separated by <c>---</c>,
/// one policy each. Reports every problem with file, line and field path rather than stopping
/// at the first, so an admin fixes a file in one pass. See README.md for the format.
/// </summary>
public static class PolicyFileParser
{
    /// <summary>Reads and parses the file at <paramref name="path"/>.</summary>
    /// <param name="path">Policy file; reported in problems as given.</param>
    /// <param name="knownTargets">When given, every target name must be in it (pass a set with the comparer you want).</param>
    public static PolicyParseResult Parse(string path, IReadOnlySet<string>? knownTargets = null)
    {
        StreamReader reader;
        try
        {
            reader = new StreamReader(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new PolicyParseResult([], [new PolicyProblem(path, 0, "", $"cannot read file: {ex.Message}")]);
        }

        using (reader)
        {
            if (reader.BaseStream.Length > PolicyLimits.MaxFileBytes)
            {
                return new PolicyParseResult([], [new PolicyProblem(path, 0, "",
                    $"file is {reader.BaseStream.Length} bytes; policy files are limited to {PolicyLimits.MaxFileBytes}")]);
            }

            return Parse(reader, path, knownTargets);
        }
    }

    /// <summary>Parses policy YAML from <paramref name="reader"/>; <paramref name="fileName"/> is used in problems.</summary>
    public static PolicyParseResult Parse(TextReader reader, string fileName, IReadOnlySet<string>? knownTargets = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(fileName);
        var problems = new ProblemSink(fileName);
        var stream = new YamlStream();
        var parser = new LineTrackingParser(new Parser(reader));
        try
        {
            stream.Load(parser);
        }
        catch (NestingTooDeepException ex)
        {
            problems.Add((int)ex.Start.Line, "", ex.Message);
            return new PolicyParseResult([], problems.Sorted());
        }
        catch (YamlException ex)
        {
            // The representation model loads all documents at once, so a syntax error anywhere
            // yields no policies: applying half a file would be worse than applying none.
            problems.Add((int)ex.Start.Line, "", $"YAML syntax error: {SyntaxMessage(ex)}");
            return new PolicyParseResult([], problems.Sorted());
        }
        catch (InvalidOperationException)
        {
            problems.Add(parser.LastLine, "", "YAML syntax error: parsing stopped after this line (an unclosed [, { or quote?)");
            return new PolicyParseResult([], problems.Sorted());
        }

        var policies = ReadDocuments(stream, problems, knownTargets);
        if (policies.Count == 0 && problems.Count == 0)
        {
            problems.Add(0, "", "contains no policy");
        }

        return new PolicyParseResult(problems.Count == 0 ? policies : [], problems.Sorted());
    }

    private static List<Policy> ReadDocuments(YamlStream stream, ProblemSink problems, IReadOnlySet<string>? knownTargets)
    {
        var policies = new List<Policy>();
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        var documentReader = new PolicyDocumentReader(problems, knownTargets);
        foreach (var document in stream.Documents)
        {
            var root = document.RootNode;
            if (root is YamlScalarNode { Value: null or "" })
            {
                continue; // an empty document, e.g. a trailing '---'
            }

            if (root is not YamlMappingNode mapping)
            {
                problems.Add(root, "", $"a policy document must be a mapping of fields, got {YamlMappingReader.Describe(root)}");
                continue;
            }

            CheckDuplicateName(mapping, problems, firstLine);
            var policy = documentReader.Read(mapping);
            if (policy is not null)
            {
                policies.Add(policy);
            }
        }

        return policies;
    }

    private static void CheckDuplicateName(YamlMappingNode mapping, ProblemSink problems, Dictionary<string, int> firstLine)
    {
        if (!mapping.Children.TryGetValue(new YamlScalarNode("name"), out var node) || node is not YamlScalarNode { Value: { Length: > 0 } name })
        {
            return;
        }

        int line = ProblemSink.LineOf(node);
        if (!firstLine.TryAdd(name, line))
        {
            problems.Add(line, "name", $"duplicate policy name '{name}' (first defined at line {firstLine[name]})");
        }
    }

    // YamlException.Message repeats the position ("(Line: 3, Col: 1, Idx: 20) - (...): text");
    // the problem already carries the line, so keep only the text.
    private static string SyntaxMessage(YamlException ex)
    {
        var message = ex.Message;
        int split = message.IndexOf("): ", StringComparison.Ordinal);
        message = split >= 0 && message.StartsWith('(') ? message[(split + 3)..] : message;
        const string duplicate = "Duplicate key ";
        return message.StartsWith(duplicate, StringComparison.Ordinal)
            ? $"duplicate key '{message[duplicate.Length..]}' (each key may appear once per mapping)"
            : message;
    }
}
