using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DrOrchestrator.Core.Policies;

/// <summary>
/// Typed access to one YAML mapping with field paths and line numbers for every problem.
/// Every key read is remembered, so <see cref="ReportUnknownKeys"/> can flag whatever the
/// caller never asked for — the list of known keys lives in one place: the reading code.
/// </summary>
internal sealed class YamlMappingReader
{
    private readonly YamlMappingNode _node;
    private readonly ProblemSink _problems;
    private readonly Dictionary<string, (YamlNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public YamlMappingReader(YamlMappingNode node, string path, ProblemSink problems)
    {
        _node = node;
        Path = path;
        _problems = problems;
        foreach (var (key, value) in node.Children)
        {
            if (key is YamlScalarNode { Value: { } name })
            {
                _entries[name] = (key, value);
            }
            else
            {
                problems.Add(key, path, "keys must be plain text");
            }
        }
    }

    public string Path { get; }

    public int Line => ProblemSink.LineOf(_node);

    public ProblemSink Problems => _problems;

    public string FieldPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    /// <summary>Line of <paramref name="key"/> itself, or of the mapping when the key is absent.</summary>
    public int KeyLine(string key) => _entries.TryGetValue(key, out var entry) ? ProblemSink.LineOf(entry.Key) : Line;

    public YamlNode? Get(string key, bool required)
    {
        _read.Add(key);
        if (_entries.TryGetValue(key, out var entry) && !IsNull(entry.Value))
        {
            return entry.Value;
        }

        if (required)
        {
            _problems.Add(KeyLine(key), FieldPath(key), "is required");
        }

        return null;
    }

    public string? String(string key, bool required)
    {
        var node = Get(key, required);
        return node is null ? null : AsString(node, FieldPath(key));
    }

    public string? AsString(YamlNode node, string field)
    {
        if (node is YamlScalarNode { Value: { } value })
        {
            if (value.Length > PolicyLimits.MaxTextLength)
            {
                _problems.Add(node, field, $"is {value.Length} characters long; at most {PolicyLimits.MaxTextLength} are allowed");
                return null;
            }

            return value;
        }

        _problems.Add(node, field, $"expected a text value, got {Describe(node)}");
        return null;
    }

    public int? Int(string key, bool required)
    {
        var text = String(key, required);
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
        {
            return value;
        }

        _problems.Add(_entries[key].Value, FieldPath(key), $"expected a whole number, got '{text}'");
        return null;
    }

    public YamlMappingReader? Mapping(string key, bool required)
    {
        var node = Get(key, required);
        if (node is null)
        {
            return null;
        }

        if (node is YamlMappingNode mapping)
        {
            return new YamlMappingReader(mapping, FieldPath(key), _problems);
        }

        _problems.Add(node, FieldPath(key), $"expected a mapping (key: value lines), got {Describe(node)}");
        return null;
    }

    public YamlSequenceNode? Sequence(string key, bool required)
    {
        var node = Get(key, required);
        if (node is null)
        {
            return null;
        }

        if (node is YamlSequenceNode sequence)
        {
            if (sequence.Children.Count == 0 && required)
            {
                _problems.Add(KeyLine(key), FieldPath(key), "must list at least one item");
            }

            return sequence;
        }

        _problems.Add(node, FieldPath(key), $"expected a list, got {Describe(node)}");
        return null;
    }

    /// <summary>A list of text items; null when absent. Items that are not text are reported and dropped.</summary>
    public List<(string Value, YamlNode Node, string Field)>? StringList(string key, bool required)
    {
        var sequence = Sequence(key, required);
        if (sequence is null)
        {
            return null;
        }

        var items = new List<(string, YamlNode, string)>();
        for (int i = 0; i < sequence.Children.Count; i++)
        {
            var field = $"{FieldPath(key)}[{i}]";
            var item = sequence.Children[i];
            var value = AsString(item, field);
            if (value is not null)
            {
                items.Add((value, item, field));
            }
        }

        return items;
    }

    /// <summary>Flags every key of this mapping that no Get call asked for.</summary>
    public void ReportUnknownKeys()
    {
        foreach (var (name, entry) in _entries)
        {
            if (!_read.Contains(name))
            {
                var suggestion = _read.Where(known => EditDistance(known, name) <= 2).Order(StringComparer.Ordinal).FirstOrDefault();
                _problems.Add(entry.Key, FieldPath(PolicyLimits.Echo(name)), suggestion is null ? "unknown key" : $"unknown key (did you mean '{suggestion}'?)");
            }
        }
    }

    // Levenshtein distance, case-insensitive: enough to catch "rol", "timezone", "keeplast".
    private static int EditDistance(string a, string b)
    {
        a = a.ToUpperInvariant();
        b = b.ToUpperInvariant();
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            previous = current;
        }

        return previous[b.Length];
    }

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode scalar => $"'{PolicyLimits.Echo(scalar.Value ?? "")}'",
        _ => "an unsupported node",
    };

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };
}
