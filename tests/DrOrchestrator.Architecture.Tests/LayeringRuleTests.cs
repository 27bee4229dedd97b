namespace DrOrchestrator.Architecture.Tests;

/// <summary>
/// The rule checker run against deliberately violating reference sets (not against a broken
/// build): every rule must report the violation it exists for, and leave the allowed references
/// alone — a rule that can never fail would let the layering rot silently.
/// </summary>
public sealed class LayeringRuleTests
{
    /// <summary>(assembly, reference, rule that must report it): at least one per rule.</summary>
    public static readonly TheoryData<string, string, string> Violating = new()
    {
        { "DrOrchestrator.Core", "AWSSDK.S3", "Core depends on the BCL and small pure libraries only" },
        { "DrOrchestrator.Core", "DrOrchestrator.Catalog", "Core depends on the BCL and small pure libraries only" },
        { "DrOrchestrator.Storage.S3", "DrOrchestrator.Catalog", "a Storage backend depends on Core and its own SDK" },
        { "DrOrchestrator.Storage.Local", "DrOrchestrator.Orchestration", "a Storage backend depends on Core and its own SDK" },
        { "DrOrchestrator.Sources.Postgres", "DrOrchestrator.Catalog", "a database Source depends on Core and its engine's client" },
        { "DrOrchestrator.Sources.Sqlite", "Microsoft.EntityFrameworkCore.Sqlite", "a database Source depends on Core and its engine's client" },
        { "DrOrchestrator.Sources.PostgreSql", "MySqlConnector", "the PostgreSQL source uses Npgsql and no other engine's client" },
        { "DrOrchestrator.Sources.PostgreSql", "DrOrchestrator.Sources.Sqlite", "a database Source depends on Core and its engine's client" },
        { "DrOrchestrator.Sources.MySql", "Npgsql", "the MariaDB/MySQL source uses MySqlConnector and no other engine's client" },
        { "DrOrchestrator.Sources.Sqlite", "MySqlConnector", "the SQLite source uses Microsoft.Data.Sqlite and no other engine's client" },
        { "DrOrchestrator.Catalog", "DrOrchestrator.Storage.Local", "the Catalog depends on Core and EF Core" },
        { "DrOrchestrator.Migrations.Sqlite", "DrOrchestrator.Storage.Local", "a migrations assembly depends on the Catalog and EF Core only" },
        { "DrOrchestrator.Migrations.Postgres", "DrOrchestrator.Core", "a migrations assembly depends on the Catalog and EF Core only" },
        { "DrOrchestrator.Migrations.Postgres", "AWSSDK.S3", "a migrations assembly depends on the Catalog and EF Core only" },
        { "DrOrchestrator.Orchestration", "DrOrchestrator.Cli", "Orchestration depends on no host and no front-door library" },
        { "DrOrchestrator.Orchestration", "DrOrchestrator.Server", "Orchestration depends on no host and no front-door library" },
        { "DrOrchestrator.Orchestration", "Spectre.Console", "Orchestration depends on no host and no front-door library" },
        { "DrOrchestrator.Orchestration", "System.CommandLine", "Orchestration depends on no host and no front-door library" },
        { "DrOrchestrator.Orchestration", "Microsoft.AspNetCore.Http.Abstractions", "Orchestration depends on no host and no front-door library" },
        { "DrOrchestrator.Orchestration", "Quartz", "Orchestration depends on no host and no front-door library" },
        { "DrOrchestrator.Cli", "DrOrchestrator.Core", "the CLI references Orchestration only among our assemblies" },
        { "DrOrchestrator.Cli", "DrOrchestrator.Catalog", "the CLI references Orchestration only among our assemblies" },
        { "drorch", "DrOrchestrator.Storage.S3", "the CLI (as built: drorch) references Orchestration only among our assemblies" },
        { "drorch", "DrOrchestrator.Migrations.Sqlite", "the CLI (as built: drorch) references Orchestration only among our assemblies" },
        { "DrOrchestrator.Server", "DrOrchestrator.Storage.S3", "the service reaches backends only through Orchestration" },
        { "DrOrchestrator.Server", "drorch", "the service reaches backends only through Orchestration" },
        { "drorch", "Hangfire.Core", "Quartz and Hangfire only in Server" },
        { "DrOrchestrator.Catalog", "Quartz", "Quartz and Hangfire only in Server" },
        { "DrOrchestrator.Sources.Postgres", "Hangfire.Core", "Quartz and Hangfire only in Server" },
        { "DrOrchestrator.Orchestration", "Hangfire.PostgreSql", "Quartz and Hangfire only in Server" },
    };

    public static readonly TheoryData<string, string> Allowed = new()
    {
        { "DrOrchestrator.Core", "Microsoft.Extensions.Logging.Abstractions" },
        { "DrOrchestrator.Core", "AzureFoo" },
        { "DrOrchestrator.Storage.S3", "DrOrchestrator.Core" },
        { "DrOrchestrator.Storage.S3", "AWSSDK.S3" },
        { "DrOrchestrator.Sources.Postgres", "Npgsql" },
        { "DrOrchestrator.Sources.MariaDb", "DrOrchestrator.Core" },
        { "DrOrchestrator.Sources.PostgreSql", "Npgsql" },
        { "DrOrchestrator.Sources.PostgreSql", "Microsoft.Extensions.Options" },
        { "DrOrchestrator.Sources.Sqlite", "Microsoft.Data.Sqlite" },
        { "DrOrchestrator.Sources.MySql", "MySqlConnector" },
        { "DrOrchestrator.Orchestration", "DrOrchestrator.Sources.PostgreSql" },
        { "DrOrchestrator.Catalog", "Microsoft.EntityFrameworkCore" },
        { "DrOrchestrator.Catalog", "DrOrchestrator.Core" },
        { "DrOrchestrator.Migrations.Sqlite", "DrOrchestrator.Catalog" },
        { "DrOrchestrator.Migrations.Sqlite", "Microsoft.EntityFrameworkCore.Sqlite" },
        { "DrOrchestrator.Migrations.Postgres", "Npgsql.EntityFrameworkCore.PostgreSQL" },
        { "DrOrchestrator.Migrations.Postgres", "System.Runtime" },
        { "DrOrchestrator.Orchestration", "DrOrchestrator.Catalog" },
        { "DrOrchestrator.Orchestration", "DrOrchestrator.Storage.S3" },
        { "DrOrchestrator.Cli", "DrOrchestrator.Orchestration" },
        { "drorch", "DrOrchestrator.Orchestration" },
        { "drorch", "Spectre.Console" },
        { "drorch", "System.CommandLine" },
        { "DrOrchestrator.Server", "Quartz" },
        { "DrOrchestrator.Server", "Hangfire.Core" },
        { "DrOrchestrator.Server", "DrOrchestrator.Orchestration" },
    };

    [Theory]
    [MemberData(nameof(Violating))]
    public void A_violating_reference_is_reported_by_its_rule(string assembly, string reference, string rule)
    {
        var violations = LayeringRules.Violations([(assembly, [reference])]).ToList();

        Assert.Contains($"{assembly} references {reference} ({rule})", violations);
    }

    [Theory]
    [MemberData(nameof(Allowed))]
    public void An_allowed_reference_is_not_reported(string assembly, string reference)
    {
        Assert.Empty(LayeringRules.Violations([(assembly, [reference])]));
    }

    [Fact]
    public void Every_rule_has_a_violation_it_is_shown_to_report()
    {
        var demonstrated = Violating.Select(row => (string)row[2]).ToHashSet(StringComparer.Ordinal);

        Assert.All(LayeringRules.Rules, rule => Assert.Contains(rule.Name, demonstrated));
    }

    [Fact]
    public void A_graph_with_several_violations_reports_each_once_per_rule()
    {
        var violations = LayeringRules.Violations(
        [
            ("DrOrchestrator.Migrations.Sqlite", ["DrOrchestrator.Catalog", "DrOrchestrator.Orchestration", "Quartz"]),
            ("DrOrchestrator.Server", ["Quartz", "DrOrchestrator.Orchestration"]),
        ]).ToList();

        Assert.Equal(
        [
            "DrOrchestrator.Migrations.Sqlite references DrOrchestrator.Orchestration (a migrations assembly depends on the Catalog and EF Core only)",
            "DrOrchestrator.Migrations.Sqlite references Quartz (a migrations assembly depends on the Catalog and EF Core only)",
            "DrOrchestrator.Migrations.Sqlite references Quartz (Quartz and Hangfire only in Server)",
        ], violations);
    }
}
