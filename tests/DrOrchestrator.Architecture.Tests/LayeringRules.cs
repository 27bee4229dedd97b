namespace DrOrchestrator.Architecture.Tests;

/// <summary>
/// One layering rule: an assembly matching <see cref="Assembly"/> (and not in <see cref="Exempt"/>)
/// may not reference anything matching <see cref="Forbidden"/> unless it also matches
/// <see cref="Allowed"/>. A pattern matches a name equal to it or starting with it followed by
/// '.'; "*" matches every name.
/// </summary>
public sealed record LayerRule(string Name, string Assembly, string[] Forbidden, string[] Allowed, string[] Exempt)
{
    public bool AppliesTo(string assembly) =>
        LayeringRules.Matches(assembly, Assembly) && !Exempt.Any(e => LayeringRules.Matches(assembly, e));

    public bool Forbids(string assembly, string reference) =>
        AppliesTo(assembly)
        && !reference.Equals(assembly, StringComparison.OrdinalIgnoreCase)
        && Forbidden.Any(f => LayeringRules.Matches(reference, f))
        && !Allowed.Any(a => LayeringRules.Matches(reference, a));
}

/// <summary>
/// Which of our assemblies may depend on what (DESIGN.md: Cli/Server → Orchestration →
/// Catalog/Storage/Sources → Core; migrations → Catalog). Checked against the compiled
/// assemblies and the project files by <see cref="LayeringTests"/>, and shown to fail by
/// <see cref="LayeringRuleTests"/>.
/// </summary>
public static class LayeringRules
{
    private const string Ours = "DrOrchestrator";

    private static readonly string[] Hosts = ["DrOrchestrator.Cli", "drorch", "DrOrchestrator.Server"];

    private static readonly string[] Schedulers = ["Quartz", "Hangfire"];

    private static readonly string[] FrontDoorLibraries = ["Spectre.Console", "System.CommandLine", "Microsoft.AspNetCore", .. Schedulers];

    public static readonly LayerRule[] Rules =
    [
        new("Core depends on the BCL and small pure libraries only", "DrOrchestrator.Core",
            [Ours, "AWSSDK", "Azure", "Microsoft.EntityFrameworkCore", "Npgsql", .. FrontDoorLibraries], [], []),
        new("a Storage backend depends on Core and its own SDK", "DrOrchestrator.Storage",
            [Ours, "Microsoft.EntityFrameworkCore", "Npgsql", .. FrontDoorLibraries], ["DrOrchestrator.Core"], []),
        new("a database Source depends on Core and its engine's client", "DrOrchestrator.Sources",
            [Ours, "Microsoft.EntityFrameworkCore", "AWSSDK", "Azure.Storage", .. FrontDoorLibraries], ["DrOrchestrator.Core"], []),

        // "Its own client only": an engine's project never pulls in another engine's driver.
        new("the PostgreSQL source uses Npgsql and no other engine's client", "DrOrchestrator.Sources.PostgreSql",
            ["MySqlConnector", "Microsoft.Data.Sqlite", "SQLitePCLRaw"], [], []),
        new("the MariaDB/MySQL source uses MySqlConnector and no other engine's client", "DrOrchestrator.Sources.MySql",
            ["Npgsql", "Microsoft.Data.Sqlite", "SQLitePCLRaw"], [], []),
        new("the SQLite source uses Microsoft.Data.Sqlite and no other engine's client", "DrOrchestrator.Sources.Sqlite",
            ["Npgsql", "MySqlConnector"], [], []),
        new("the Catalog depends on Core and EF Core", "DrOrchestrator.Catalog",
            [Ours, "AWSSDK", "Azure.Storage", .. FrontDoorLibraries], ["DrOrchestrator.Core"], []),
        new("a migrations assembly depends on the Catalog and EF Core only", "DrOrchestrator.Migrations",
            ["*"], ["DrOrchestrator.Catalog", "Microsoft.EntityFrameworkCore", "Npgsql.EntityFrameworkCore.PostgreSQL", "System", "netstandard", "mscorlib"], []),

        // The use-case layer is shared by both hosts, so it must not depend on either of them.
        new("Orchestration depends on no host and no front-door library", "DrOrchestrator.Orchestration",
            [.. Hosts, .. FrontDoorLibraries], [], []),

        // `drorch serve` (issue #15) starts the service from the same executable, hence Server.
        new("the CLI references Orchestration only among our assemblies", "DrOrchestrator.Cli",
            [Ours, "drorch"], ["DrOrchestrator.Orchestration", "DrOrchestrator.Server"], []),
        new("the CLI (as built: drorch) references Orchestration only among our assemblies", "drorch",
            [Ours], ["DrOrchestrator.Orchestration", "DrOrchestrator.Server"], []),

        // The service is a front door like the CLI: it calls Orchestration, never a backend, the
        // catalog's migrations or a database source directly.
        new("the service reaches backends only through Orchestration", "DrOrchestrator.Server",
            ["DrOrchestrator.Cli", "drorch", "DrOrchestrator.Storage", "DrOrchestrator.Sources", "DrOrchestrator.Migrations",
             "Spectre.Console", "System.CommandLine", "AWSSDK", "Azure.Storage"], [], []),

        // Quartz owns *when*, Hangfire owns *work*: both live in the service and nowhere else.
        new("Quartz and Hangfire only in Server", "*", Schedulers, [], ["DrOrchestrator.Server"]),
    ];

    public static bool Matches(string name, string pattern) =>
        pattern == "*"
        || name.Equals(pattern, StringComparison.OrdinalIgnoreCase)
        || name.StartsWith(pattern + ".", StringComparison.OrdinalIgnoreCase);

    /// <summary>Every broken rule of a reference graph, as "ASSEMBLY references REFERENCE (RULE)".</summary>
    public static IEnumerable<string> Violations(IEnumerable<(string Assembly, IEnumerable<string> References)> graph, IEnumerable<LayerRule>? rules = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var checkedRules = (rules ?? Rules).ToList();
        return
            from node in graph
            from reference in node.References
            from rule in checkedRules
            where rule.Forbids(node.Assembly, reference)
            select $"{node.Assembly} references {reference} ({rule.Name})";
    }
}
