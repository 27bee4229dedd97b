using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DrOrchestrator.Core.Policies;

/// <summary>
/// Writes policies back as canonical YAML: fixed key order, every default spelled out,
/// durations in canonical form (<see cref="PolicyDuration.Format"/>), no comments. The same
/// policy always yields the same bytes, so the catalog can hash the text to detect changes,
/// and the output parses back to an equal policy.
/// </summary>
public static class PolicySerializer
{
    /// <summary>One policy as a YAML document (no <c>---</c> marker), ending with a newline.</summary>
    public static string Serialize(Policy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var stream = new YamlStream(new YamlDocument(ToNode(policy)));
        var text = new StringBuilder();
        using (var writer = new StringWriter(text, CultureInfo.InvariantCulture))
        {
            stream.Save(writer, assignAnchors: false);
        }

        return Normalise(text.ToString());
    }

    /// <summary>Several policies as one multi-document file.</summary>
    public static string SerializeAll(IEnumerable<Policy> policies) =>
        string.Join("---\n", policies.Select(Serialize));

    private static YamlMappingNode ToNode(Policy policy)
    {
        var node = new YamlMappingNode { { "name", policy.Name } };
        if (policy.Description is not null)
        {
            node.Add("description", policy.Description);
        }

        node.Add("sources", new YamlSequenceNode(policy.Sources.Select(ToNode)));
        node.Add("targets", new YamlSequenceNode(policy.Targets.Select(t => new YamlMappingNode
        {
            { "name", t.Name },
            { "role", t.Role == TargetRole.Primary ? "primary" : "replica" },
        })));
        node.Add("minPrimaries", Number(policy.MinPrimaries));
        node.Add("schedule", ScheduleNode(policy.Schedule));
        node.Add("rpo", PolicyDuration.Format(policy.Rpo));
        node.Add("rto", PolicyDuration.Format(policy.Rto));
        var r = policy.Retention;
        node.Add("retention", new YamlMappingNode
        {
            { "keepLast", Number(r.KeepLast) },
            { "keepDaily", Number(r.KeepDaily) },
            { "keepWeekly", Number(r.KeepWeekly) },
            { "keepMonthly", Number(r.KeepMonthly) },
            { "keepYearly", Number(r.KeepYearly) },
        });
        if (policy.Drill is not null)
        {
            var drill = ScheduleNode(policy.Drill.Schedule);
            drill.Add("sampleFiles", Number(policy.Drill.SampleFiles));
            node.Add("drill", drill);
        }

        return node;
    }

    private static YamlMappingNode ToNode(PolicySource source) => source switch
    {
        FilesSource files => new YamlMappingNode
        {
            { "type", files.Type },
            { "paths", List(files.Paths) },
            { "include", List(files.Include) },
            { "exclude", List(files.Exclude) },
        },
        DatabaseSource database => ToNode(database),
        _ => throw new NotSupportedException($"source type '{source.Type}' has no serializer"),
    };

    /// <summary>Only the fields that are set (and <c>databases</c> as <c>all</c> or a list), in a fixed order.</summary>
    private static YamlMappingNode ToNode(DatabaseSource db)
    {
        var node = new YamlMappingNode { { "type", db.Type }, { "name", db.Name } };
        void Optional(string key, string? value)
        {
            if (value is not null)
            {
                node.Add(key, value);
            }
        }

        if (db.Type == DatabaseSource.SqliteType)
        {
            Optional("path", db.Path);
            return node;
        }

        Optional("host", db.Host);
        Optional("socket", db.Socket);
        Optional("port", db.Port?.ToString(CultureInfo.InvariantCulture));
        Optional("user", db.User);
        node.Add("databases", db.AllDatabases ? new YamlScalarNode("all") : List(db.Databases));
        Optional("passwordEnvironmentVariable", db.PasswordEnvironmentVariable);
        Optional("passwordFile", db.PasswordFile);
        node.Add("globals", db.Globals ? "true" : "false");
        if (db.Type == DatabaseSource.PostgresType)
        {
            node.Add("fromReplica", db.FromReplica ? "true" : "false");
            Optional("maxReplicaLag", db.MaxReplicaLag is { } lag ? PolicyDuration.Format(lag) : null);
            node.Add("parallel", db.Parallel.ToString(CultureInfo.InvariantCulture));
        }

        return node;
    }

    private static YamlMappingNode ScheduleNode(PolicySchedule schedule)
    {
        var node = new YamlMappingNode
        {
            { "cron", schedule.Cron },
            { "timeZone", schedule.TimeZone },
        };

        // Only when present, so the canonical text (and hash) of a policy without windows is unchanged.
        if (schedule.Blackouts.Count > 0)
        {
            node.Add("blackout", List(schedule.Blackouts.Select(b => b.ToString())));
        }

        return node;
    }

    private static YamlSequenceNode List(IEnumerable<string> items) => new(items.Select(i => new YamlScalarNode(i)));

    private static YamlScalarNode Number(int value) => new(value.ToString(CultureInfo.InvariantCulture));

    // YamlStream.Save ends each document with "...": drop it and use '\n' on every platform
    // so the canonical text (and its hash) is the same everywhere.
    private static string Normalise(string text)
    {
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (text.EndsWith("...\n", StringComparison.Ordinal))
        {
            text = text[..^4];
        }

        return text.EndsWith('\n') ? text : text + "\n";
    }
}
