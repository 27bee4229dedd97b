using System.Text;
using System.Text.Json;
using DrOrchestrator.Orchestration.Configuration;

namespace DrOrchestrator.Orchestration.CatalogRebuild;

/// <summary>
/// `catalog rebuild --write-config PATH`: the configuration a system record holds (flattened
/// <c>Section:Key</c> → value, secret references only, §58) written back as an
/// <c>appsettings.json</c> the orchestrator can start from. Never overwrites a file unless told
/// to; written to a temporary name and renamed, so a file at PATH is either absent or whole.
/// </summary>
public static class RecoveredConfiguration
{
    /// <summary>Refuses, before anything is rebuilt, a path that exists (without <paramref name="overwrite"/>) or whose folder does not.</summary>
    public static void EnsureWritable(string path, bool overwrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new ConfigurationException($"{path}: --write-config names a directory; name the file to write");
        }

        if (File.Exists(full) && !overwrite)
        {
            throw new ConfigurationException($"{path}: file exists; `catalog rebuild --write-config` does not overwrite it without --force");
        }

        if (!Directory.Exists(Path.GetDirectoryName(full)))
        {
            throw new ConfigurationException($"{path}: directory {Path.GetDirectoryName(full)} does not exist");
        }
    }

    /// <summary>Writes <paramref name="settings"/> as nested JSON; returns how many settings were written.</summary>
    public static async Task<int> WriteAsync(string path, IReadOnlyDictionary<string, string> settings, bool overwrite, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        EnsureWritable(path, overwrite);
        var kept = settings.Where(s => !s.Key.StartsWith("DrOrchestrator:", StringComparison.OrdinalIgnoreCase)).ToList();
        var root = new Node();
        foreach (var (key, value) in kept)
        {
            var node = root;
            foreach (var part in key.Split(':'))
            {
                node = node.Child(part);
            }

            node.Value = value;
        }

        var full = Path.GetFullPath(path);
        var temporary = full + $".drorch-{Environment.ProcessId}.tmp";
        try
        {
            var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 14, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
                await using (json.ConfigureAwait(false))
                {
                    Write(json, root);
                    await json.FlushAsync(cancellationToken).ConfigureAwait(false);
                }

                await file.WriteAsync(Encoding.UTF8.GetBytes(Environment.NewLine), cancellationToken).ConfigureAwait(false);
            }

            File.Move(temporary, full, overwrite);
        }
        finally
        {
            File.Delete(temporary);
        }

        return kept.Count;
    }

    /// <summary>A section: its own value (a leaf) or its children, in the configuration's key order.</summary>
    private sealed class Node
    {
        public string? Value { get; set; }

        public SortedDictionary<string, Node> Children { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Node Child(string name)
        {
            if (!Children.TryGetValue(name, out var child))
            {
                child = new Node();
                Children[name] = child;
            }

            return child;
        }

        /// <summary>Children named 0, 1, … n−1 were a JSON array in the file the configuration came from.</summary>
        public bool IsArray => Children.Count > 0 && Enumerable.Range(0, Children.Count).All(i => Children.ContainsKey(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static void Write(Utf8JsonWriter json, Node node)
    {
        if (node.Children.Count == 0)
        {
            json.WriteStringValue(node.Value ?? "");
        }
        else if (node.IsArray)
        {
            json.WriteStartArray();
            for (var i = 0; i < node.Children.Count; i++)
            {
                Write(json, node.Children[i.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }

            json.WriteEndArray();
        }
        else
        {
            json.WriteStartObject();
            foreach (var (name, child) in node.Children)
            {
                json.WritePropertyName(name);
                Write(json, child);
            }

            json.WriteEndObject();
        }
    }
}
