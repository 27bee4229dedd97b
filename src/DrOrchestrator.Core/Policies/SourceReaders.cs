using YamlDotNet.RepresentationModel;

namespace DrOrchestrator.Core.Policies;

/// <summary>
/// Reads the <c>sources</c> list. Each source type registers one reader here; adding
/// <c>postgres</c> later means one more entry and one more <see cref="PolicySource"/> subclass.
/// </summary>
internal static class SourceReaders
{
    private static readonly Dictionary<string, Func<YamlMappingReader, PolicySource?>> Readers = new(StringComparer.Ordinal)
    {
        [FilesSource.TypeName] = ReadFiles,
    };

    public static List<PolicySource>? ReadSources(YamlMappingReader doc)
    {
        var sequence = doc.Sequence("sources", required: true);
        if (sequence is null)
        {
            return null;
        }

        var sources = new List<PolicySource>();
        for (int i = 0; i < sequence.Children.Count; i++)
        {
            var source = ReadSource(doc.Problems, sequence.Children[i], $"sources[{i}]");
            if (source is not null)
            {
                sources.Add(source);
            }
        }

        return sources;
    }

    private static PolicySource? ReadSource(ProblemSink problems, YamlNode node, string path)
    {
        if (node is not YamlMappingNode mapping)
        {
            problems.Add(node, path, $"expected a mapping with a type, got {YamlMappingReader.Describe(node)}");
            return null;
        }

        var reader = new YamlMappingReader(mapping, path, problems);
        var type = reader.String("type", required: true);
        if (type is null)
        {
            return null;
        }

        if (!Readers.TryGetValue(type, out var read))
        {
            // Keys of an unknown type are not reported: we cannot know which are valid.
            problems.Add(reader.KeyLine("type"), reader.FieldPath("type"),
                $"unknown source type '{type}' (supported: {string.Join(", ", Readers.Keys)})");
            return null;
        }

        var source = read(reader);
        reader.ReportUnknownKeys();
        return source;
    }

    private static FilesSource? ReadFiles(YamlMappingReader reader)
    {
        int before = reader.Problems.Count;
        var paths = reader.StringList("paths", required: true);
        foreach (var (value, node, field) in paths ?? [])
        {
            if (!Path.IsPathFullyQualified(value))
            {
                reader.Problems.Add(node, field, $"'{value}' is not an absolute path");
            }
        }

        var include = ReadGlobs(reader, "include");
        var exclude = ReadGlobs(reader, "exclude");
        if (reader.Problems.Count != before || paths is null)
        {
            return null;
        }

        return new FilesSource(
            [.. paths.Select(p => p.Value)],
            include is null || include.Count == 0 ? FilesSource.DefaultInclude : include,
            exclude ?? []);
    }

    private static List<string>? ReadGlobs(YamlMappingReader reader, string key)
    {
        var globs = reader.StringList(key, required: false);
        foreach (var (value, node, field) in globs ?? [])
        {
            if (value.Length == 0 || value.StartsWith('/'))
            {
                reader.Problems.Add(node, field, $"glob '{value}' must be relative to each path (e.g. **/*.log)");
            }
        }

        return globs?.Select(g => g.Value).ToList();
    }
}
