using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Architecture.Tests;

/// <summary>
/// Log event ids are unique across every DrOrchestrator assembly and each lies in its area's
/// range, as the table in docs/event-ids.md assigns them (the table is read, not copied here, so
/// there is one table). Checked on the compiled assemblies, by reflection over the
/// <see cref="LoggerMessageAttribute"/>s the source generator works from.
/// </summary>
public sealed partial class LoggerEventIdTests
{
    [Fact]
    public void Every_logged_event_has_an_explicit_id_unique_across_assemblies_and_inside_its_range()
    {
        var ranges = EventIdRanges.Load(RepositoryPaths.File("docs", "event-ids.md"));
        var messages = LoggerMessages(OurAssemblies()).ToList();

        Assert.NotEmpty(messages);
        Assert.Empty(EventIdRanges.Violations(messages, ranges));
    }

    [Fact]
    public void The_table_assigns_nested_ranges_that_do_not_overlap()
    {
        var ranges = EventIdRanges.Load(RepositoryPaths.File("docs", "event-ids.md"));

        Assert.Contains(ranges, r => r.Namespace == "DrOrchestrator.Core.Backup");
        Assert.Empty(EventIdRanges.TableProblems(ranges));
    }

    [Fact]
    public void A_duplicate_id_an_id_out_of_range_a_missing_id_and_an_unranged_namespace_are_each_reported()
    {
        EventIdRange[] ranges =
        [
            new("DrOrchestrator.Core", 2000, 2999),
            new("DrOrchestrator.Core.Backup", 2000, 2099),
            new("DrOrchestrator.Catalog", 3000, 3999),
        ];
        LoggedMessage[] messages =
        [
            new("DrOrchestrator.Core.Backup.Log.Started", "DrOrchestrator.Core.Backup", 2001),
            new("DrOrchestrator.Core.Restore.Log.Finished", "DrOrchestrator.Core.Restore", 2001),
            new("DrOrchestrator.Core.Backup.Log.Finished", "DrOrchestrator.Core.Backup", 2150),
            new("DrOrchestrator.Catalog.Log.Migrated", "DrOrchestrator.Catalog", -1),
            new("DrOrchestrator.Server.Log.Fired", "DrOrchestrator.Server", 6000),
        ];

        Assert.Equal(
            [
                "event id 2001 is used by DrOrchestrator.Core.Backup.Log.Started and DrOrchestrator.Core.Restore.Log.Finished",
                "DrOrchestrator.Core.Backup.Log.Finished: event id 2150 is outside 2000–2099, the range of DrOrchestrator.Core.Backup",
                "DrOrchestrator.Catalog.Log.Migrated: no explicit event id",
                "DrOrchestrator.Server.Log.Fired: namespace DrOrchestrator.Server has no range in docs/event-ids.md",
            ],
            EventIdRanges.Violations(messages, ranges));
        Assert.Equal(
            ["DrOrchestrator.Core.Backup (1900–2099) is not inside DrOrchestrator.Core (2000–2999)", "DrOrchestrator.Catalog (2500–3999) overlaps DrOrchestrator.Core (2000–2999)"],
            EventIdRanges.TableProblems([new("DrOrchestrator.Core", 2000, 2999), new("DrOrchestrator.Core.Backup", 1900, 2099), new("DrOrchestrator.Catalog", 2500, 3999)]));
    }

    private static IEnumerable<LoggedMessage> LoggerMessages(IEnumerable<Assembly> assemblies) =>
        from assembly in assemblies
        from type in assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select new LoggedMessage($"{type.FullName}.{method.Name}", type.Namespace ?? "", attribute.EventId);

    private static IEnumerable<Assembly> OurAssemblies() =>
        Directory.EnumerateFiles(AppContext.BaseDirectory, "DrOrchestrator.*.dll")
            .Where(p => !Path.GetFileName(p).Contains(".Tests", StringComparison.Ordinal))
            .Select(p => Assembly.Load(AssemblyName.GetAssemblyName(p)));
}

/// <summary>One <c>[LoggerMessage]</c> method: where it is declared and its id (-1 when none was given).</summary>
internal sealed record LoggedMessage(string Method, string Namespace, int EventId);

/// <summary>One row of docs/event-ids.md: the ids a namespace (and those below it) may use.</summary>
internal sealed record EventIdRange(string Namespace, int First, int Last)
{
    public bool Contains(int id) => id >= First && id <= Last;

    public bool Covers(string ns) => ns == Namespace || ns.StartsWith(Namespace + ".", StringComparison.Ordinal);

    public override string ToString() => $"{Namespace} ({First}–{Last})";
}

internal static partial class EventIdRanges
{
    public static IReadOnlyList<EventIdRange> Load(string path) =>
        [.. File.ReadLines(path).Select(line => Row().Match(line)).Where(m => m.Success)
            .Select(m => new EventIdRange(
                m.Groups["ns"].Value,
                int.Parse(m.Groups["first"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["last"].Value, CultureInfo.InvariantCulture)))];

    /// <summary>Duplicates, missing ids, ids outside the range of the longest namespace that covers them.</summary>
    public static IReadOnlyList<string> Violations(IReadOnlyList<LoggedMessage> messages, IReadOnlyList<EventIdRange> ranges)
    {
        var problems = messages.Where(m => m.EventId >= 0).GroupBy(m => m.EventId).Where(g => g.Count() > 1)
            .Select(g => $"event id {g.Key} is used by {string.Join(" and ", g.Select(m => m.Method).Order(StringComparer.Ordinal))}")
            .ToList();
        foreach (var message in messages)
        {
            var range = ranges.Where(r => r.Covers(message.Namespace)).MaxBy(r => r.Namespace.Length);
            if (message.EventId < 0)
            {
                problems.Add($"{message.Method}: no explicit event id");
            }
            else if (range is null)
            {
                problems.Add($"{message.Method}: namespace {message.Namespace} has no range in docs/event-ids.md");
            }
            else if (!range.Contains(message.EventId))
            {
                problems.Add($"{message.Method}: event id {message.EventId} is outside {range.First}–{range.Last}, the range of {range.Namespace}");
            }
        }

        return problems;
    }

    /// <summary>Every area's range lies inside its parent namespace's; unrelated namespaces do not overlap.</summary>
    public static IReadOnlyList<string> TableProblems(IReadOnlyList<EventIdRange> ranges)
    {
        var problems = new List<string>();
        foreach (var (range, i) in ranges.Select((r, i) => (r, i)))
        {
            var parent = ranges.Where(r => r != range && r.Covers(range.Namespace)).MaxBy(r => r.Namespace.Length);
            if (parent is not null && (range.First < parent.First || range.Last > parent.Last))
            {
                problems.Add($"{range} is not inside {parent}");
            }

            problems.AddRange(ranges.Take(i)
                .Where(other => !other.Covers(range.Namespace) && !range.Covers(other.Namespace))
                .Where(other => range.First <= other.Last && other.First <= range.Last)
                .Select(other => $"{range} overlaps {other}"));
        }

        return problems;
    }

    /// <summary>A table row: <c>| `Namespace` | 2000–2099 | notes |</c> (en dash or hyphen).</summary>
    [GeneratedRegex(@"^\|\s*`(?<ns>DrOrchestrator(\.\w+)*)`\s*\|\s*(?<first>\d+)\s*[–-]\s*(?<last>\d+)\s*\|")]
    private static partial Regex Row();
}

/// <summary>Files of the repository the tests run from (found by walking up to DrOrchestrator.sln).</summary>
internal static class RepositoryPaths
{
    public static string File(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "DrOrchestrator.sln")))
            {
                var path = Path.Combine([dir.FullName, .. parts]);
                return System.IO.File.Exists(path) ? path : throw new FileNotFoundException($"{Path.Combine(parts)} is missing from the repository", path);
            }
        }

        throw new InvalidOperationException($"DrOrchestrator.sln not found above {AppContext.BaseDirectory}");
    }
}
