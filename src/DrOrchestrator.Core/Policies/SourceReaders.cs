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
        [DatabaseSource.PostgresType] = r => DatabaseSourceReader.Read(r, DatabaseSource.PostgresType),
        [DatabaseSource.MariaDbType] = r => DatabaseSourceReader.Read(r, DatabaseSource.MariaDbType),
        [DatabaseSource.SqliteType] = r => DatabaseSourceReader.Read(r, DatabaseSource.SqliteType),
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

        ReportCollidingRoots(doc.Problems, sequence);
        return sources;
    }

    /// <summary>
    /// One run stores every source of the policy in one snapshot tree, where each path is a
    /// top-level entry named by its last segment: two paths (of any sources) with the same last
    /// segment would collide, and a path without one (<c>/</c>) has no name to be stored under.
    /// </summary>
    private static void ReportCollidingRoots(ProblemSink problems, YamlSequenceNode sources)
    {
        var seen = new Dictionary<string, (string Field, string Path)>(StringComparer.Ordinal);
        foreach (var (field, node, name) in DatabaseSourceReader.EntryNames(sources))
        {
            if (seen.TryGetValue(name, out var first))
            {
                problems.Add(node, field, $"'{name}' is already the snapshot entry of {first.Field}; give this source another name");
            }
            else
            {
                seen[name] = (field, name);
            }
        }

        for (int i = 0; i < sources.Children.Count; i++)
        {
            if (sources.Children[i] is not YamlMappingNode mapping
                || Child(mapping, "type") is not YamlScalarNode { Value: FilesSource.TypeName }
                || Child(mapping, "paths") is not YamlSequenceNode list)
            {
                continue;
            }

            for (int j = 0; j < list.Children.Count; j++)
            {
                if (list.Children[j] is not YamlScalarNode { Value: { } path } node || !Path.IsPathFullyQualified(path))
                {
                    continue; // reported by the files reader
                }

                var field = $"sources[{i}].paths[{j}]";
                var trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
                var name = Path.GetFileName(trimmed);
                if (name.Length == 0)
                {
                    problems.Add(node, field, $"'{path}' has no last segment to store it under in the snapshot; list the directories below it instead");
                }
                else if (seen.TryGetValue(name, out var first))
                {
                    problems.Add(node, field,
                        $"'{path}' would be stored as '{name}', like '{first.Path}' ({first.Field}); paths of a policy need distinct last segments");
                }
                else
                {
                    seen[name] = (field, path);
                }
            }
        }
    }

    internal static YamlNode? Child(YamlMappingNode mapping, string key) =>
        mapping.Children.FirstOrDefault(kv => kv.Key is YamlScalarNode k && k.Value == key).Value;

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
