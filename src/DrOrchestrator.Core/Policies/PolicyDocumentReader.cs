using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace DrOrchestrator.Core.Policies;

/// <summary>
/// Turns one YAML document into a <see cref="Policy"/>, reporting every problem it finds
/// instead of stopping at the first. Returns null when the document had any problem.
/// </summary>
internal sealed partial class PolicyDocumentReader(ProblemSink problems, IReadOnlySet<string>? knownTargets)
{
    private const string DurationHint = "use e.g. 90s, 15m, 24h, 7d, 1h30m";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    public Policy? Read(YamlMappingNode root)
    {
        int before = problems.Count;
        var doc = new YamlMappingReader(root, "", problems);

        var name = ReadName(doc);
        var description = ReadDescription(doc);
        var sources = SourceReaders.ReadSources(doc);
        var targets = ReadTargets(doc);
        var minPrimaries = ReadMinPrimaries(doc, targets);
        var scheduleReader = doc.Mapping("schedule", required: true);
        var schedule = ReadSchedule(scheduleReader);
        scheduleReader?.ReportUnknownKeys();
        var rpo = ReadDuration(doc, "rpo");
        var rto = ReadDuration(doc, "rto");
        var retention = ReadRetention(doc.Mapping("retention", required: false));
        var drill = ReadDrill(doc.Mapping("drill", required: false));
        doc.ReportUnknownKeys();

        if (problems.Count != before || name is null || sources is null || targets is null
            || minPrimaries is null || schedule is null || rpo is null || rto is null || retention is null)
        {
            return null;
        }

        return new Policy(name, description, sources, targets, minPrimaries.Value, schedule, rpo.Value, rto.Value, retention, drill);
    }

    /// <summary>True when <paramref name="name"/> is a valid policy name.</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    private static string? ReadName(YamlMappingReader doc)
    {
        var name = doc.String("name", required: true);
        if (name is not null && !IsValidName(name))
        {
            doc.Problems.Add(doc.KeyLine("name"), "name",
                $"'{name}' is not a valid name (lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters)");
            return null;
        }

        return name;
    }

    private static string? ReadDescription(YamlMappingReader doc)
    {
        var description = doc.String("description", required: false);
        if (description is { Length: > PolicyLimits.MaxDescriptionLength })
        {
            doc.Problems.Add(doc.KeyLine("description"), "description",
                $"is {description.Length} characters long; at most {PolicyLimits.MaxDescriptionLength} are allowed");
            return null;
        }

        return description;
    }

    private List<PolicyTarget>? ReadTargets(YamlMappingReader doc)
    {
        var sequence = doc.Sequence("targets", required: true);
        if (sequence is null)
        {
            return null;
        }

        var targets = new List<PolicyTarget>();
        var firstIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < sequence.Children.Count; i++)
        {
            var target = ReadTarget(sequence.Children[i], $"targets[{i}]", firstIndex, i);
            if (target is not null)
            {
                targets.Add(target);
            }
        }

        if (sequence.Children.Count > 0 && !targets.Any(t => t.Role == TargetRole.Primary) && RolesAllRead(sequence, targets))
        {
            problems.Add(doc.KeyLine("targets"), "targets", "no primary target (at least one target needs role: primary)");
        }

        return targets;
    }

    // Only claim "no primary" when every target was readable; otherwise a broken role entry
    // may have been the primary, and the admin already has a problem pointing at it.
    private static bool RolesAllRead(YamlSequenceNode sequence, List<PolicyTarget> targets) => sequence.Children.Count == targets.Count;

    private PolicyTarget? ReadTarget(YamlNode node, string path, Dictionary<string, int> firstIndex, int index)
    {
        if (node is not YamlMappingNode mapping)
        {
            problems.Add(node, path, $"expected a mapping with name and role, got {YamlMappingReader.Describe(node)}");
            return null;
        }

        var reader = new YamlMappingReader(mapping, path, problems);
        var name = reader.String("name", required: true);
        var roleText = reader.String("role", required: true);
        reader.ReportUnknownKeys();

        bool nameOk = name is not null && CheckTargetName(reader, name, firstIndex, index);
        TargetRole? role = roleText switch
        {
            null => null,
            "primary" => TargetRole.Primary,
            "replica" => TargetRole.Replica,
            _ => null,
        };
        if (roleText is not null && role is null)
        {
            problems.Add(reader.KeyLine("role"), reader.FieldPath("role"), $"'{roleText}' is not a role (expected primary or replica)");
        }

        return nameOk && role is not null ? new PolicyTarget(name!, role.Value) : null;
    }

    private bool CheckTargetName(YamlMappingReader reader, string name, Dictionary<string, int> firstIndex, int index)
    {
        if (!firstIndex.TryAdd(name, index))
        {
            problems.Add(reader.KeyLine("name"), reader.FieldPath("name"), $"duplicate target '{name}' (already listed as targets[{firstIndex[name]}])");
            return false;
        }

        if (knownTargets is not null && !knownTargets.Contains(name))
        {
            var configured = knownTargets.Count == 0 ? "no targets are configured" : "configured: " + string.Join(", ", knownTargets.Order(StringComparer.Ordinal));
            problems.Add(reader.KeyLine("name"), reader.FieldPath("name"), $"unknown target '{name}' ({configured})");
            return false;
        }

        return true;
    }

    private int? ReadMinPrimaries(YamlMappingReader doc, List<PolicyTarget>? targets)
    {
        var value = doc.Int("minPrimaries", required: false);
        int primaries = targets?.Count(t => t.Role == TargetRole.Primary) ?? 0;
        if (value is null)
        {
            return primaries;
        }

        if (primaries > 0 && (value < 1 || value > primaries))
        {
            problems.Add(doc.KeyLine("minPrimaries"), "minPrimaries",
                $"{value} is out of range 1-{primaries} (the number of primary targets)");
            return null;
        }

        return value;
    }

    private PolicySchedule? ReadSchedule(YamlMappingReader? reader)
    {
        if (reader is null)
        {
            return null;
        }

        var cron = reader.String("cron", required: true);
        var zone = reader.String("timeZone", required: false) ?? PolicySchedule.DefaultTimeZone;
        bool ok = cron is not null && CheckCron(reader, cron);
        ok &= CheckTimeZone(reader, zone);
        var blackouts = ReadBlackouts(reader);
        return ok && blackouts is not null ? new PolicySchedule(cron!, zone) { Blackouts = blackouts } : null;
    }

    private List<BlackoutWindow>? ReadBlackouts(YamlMappingReader reader)
    {
        var items = reader.StringList("blackout", required: false);
        var windows = new List<BlackoutWindow>();
        bool ok = true;
        foreach (var (value, node, field) in items ?? [])
        {
            if (BlackoutWindow.TryParse(value) is { } window)
            {
                windows.Add(window);
            }
            else
            {
                problems.Add(node, field, $"'{value}' is not a blackout window (HH:mm-HH:mm, e.g. 08:00-18:00)");
                ok = false;
            }
        }

        return ok ? windows : null;
    }

    private bool CheckCron(YamlMappingReader reader, string cron)
    {
        var error = CronExpressionValidator.Validate(cron);
        if (error is null)
        {
            return true;
        }

        problems.Add(reader.KeyLine("cron"), reader.FieldPath("cron"), $"'{cron}' is not a Quartz cron expression: {error}");
        return false;
    }

    private bool CheckTimeZone(YamlMappingReader reader, string zone)
    {
        try
        {
            _ = TimeZoneInfo.FindSystemTimeZoneById(zone);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            problems.Add(reader.KeyLine("timeZone"), reader.FieldPath("timeZone"),
                $"unknown time zone '{zone}' (use an IANA id such as Europe/Berlin or UTC)");
            return false;
        }
    }

    private TimeSpan? ReadDuration(YamlMappingReader doc, string key)
    {
        var text = doc.String(key, required: true);
        if (text is null)
        {
            return null;
        }

        if (!PolicyDuration.TryParse(text, out var value))
        {
            problems.Add(doc.KeyLine(key), doc.FieldPath(key), $"'{PolicyLimits.Echo(text)}' is not a duration ({DurationHint})");
            return null;
        }

        if (value <= TimeSpan.Zero)
        {
            problems.Add(doc.KeyLine(key), doc.FieldPath(key), "must be greater than zero");
            return null;
        }

        if (value > PolicyLimits.MaxDuration)
        {
            problems.Add(doc.KeyLine(key), doc.FieldPath(key),
                $"'{PolicyLimits.Echo(text)}' is longer than {PolicyDuration.Format(PolicyLimits.MaxDuration)} (10 years), the longest duration allowed");
            return null;
        }

        return value;
    }

    private RetentionRules? ReadRetention(YamlMappingReader? reader)
    {
        if (reader is null)
        {
            return RetentionRules.KeepAll;
        }

        var values = new[] { "keepLast", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly" }
            .Select(key => NonNegative(reader, key))
            .ToArray();
        reader.ReportUnknownKeys();
        return values.Any(v => v is null) ? null : new RetentionRules(values[0]!.Value, values[1]!.Value, values[2]!.Value, values[3]!.Value, values[4]!.Value);
    }

    private DrillSettings? ReadDrill(YamlMappingReader? reader)
    {
        if (reader is null)
        {
            return null;
        }

        var schedule = ReadSchedule(reader);
        var sample = NonNegative(reader, "sampleFiles");
        reader.ReportUnknownKeys();
        return schedule is null || sample is null ? null : new DrillSettings(schedule, sample.Value);
    }

    // Absent means 0 (rule disabled / restore everything).
    private int? NonNegative(YamlMappingReader reader, string key)
    {
        var value = reader.Int(key, required: false);
        if (value < 0)
        {
            problems.Add(reader.KeyLine(key), reader.FieldPath(key), $"must not be negative (got {value})");
            return null;
        }

        return value ?? 0;
    }
}
