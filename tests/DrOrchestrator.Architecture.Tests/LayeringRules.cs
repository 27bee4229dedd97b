namespace DrOrchestrator.Architecture.Tests;

/// <summary>
/// Which of our assemblies may not depend on what (DESIGN.md: Cli/Server → Catalog/Storage/Sources → Core).
/// A forbidden entry matches an assembly/package name equal to it or starting with it followed by '.'.
/// </summary>
public static class LayeringRules
{
    public static readonly string[] ThirdPartyForbiddenInCore =
    [
        "AWSSDK", "Azure", "Microsoft.EntityFrameworkCore", "Npgsql", "Hangfire", "Quartz", "Spectre.Console",
        "System.CommandLine",
    ];

    public static readonly string[] OuterLayers = ["DrOrchestrator.Cli", "drorch", "DrOrchestrator.Server", "DrOrchestrator.Orchestration"];

    /// <summary>Quartz (when) and Hangfire (work) belong to the service alone (declared before Rules, which uses it).</summary>
    public static readonly string[] ServerOnly = ["Quartz", "Hangfire", "Microsoft.AspNetCore"];

    /// <summary>(assembly name or prefix, forbidden references) pairs.</summary>
    public static readonly (string Assembly, string[] Forbidden)[] Rules =
    [
        ("DrOrchestrator.Core", [.. ThirdPartyForbiddenInCore, "DrOrchestrator"]),
        ("DrOrchestrator.Storage", ["DrOrchestrator.Catalog", "DrOrchestrator.Migrations", "DrOrchestrator.Sources", .. OuterLayers,
            "Microsoft.EntityFrameworkCore", "Npgsql", "Hangfire", "Quartz", "Spectre.Console", "System.CommandLine"]),
        ("DrOrchestrator.Catalog", ["DrOrchestrator.Storage", "DrOrchestrator.Sources", .. OuterLayers,
            "AWSSDK", "Azure.Storage", "Hangfire", "Quartz", "Spectre.Console", "System.CommandLine"]),

        // The use-case layer is shared by both hosts, so it must not depend on either of them,
        // nor on the server's scheduler, work queue or web stack.
        ("DrOrchestrator.Orchestration", ["DrOrchestrator.Cli", "drorch", "DrOrchestrator.Server", "Spectre.Console", "System.CommandLine",
            .. ServerOnly]),

        // The service is a front door like the CLI: it calls Orchestration, never a backend directly.
        ("DrOrchestrator.Server", ["DrOrchestrator.Cli", "drorch", "DrOrchestrator.Storage", "DrOrchestrator.Sources", "DrOrchestrator.Migrations",
            "Spectre.Console", "System.CommandLine", "AWSSDK", "Azure.Storage"]),

        // The CLI starts the server for `drorch serve` only; scheduling and the work queue stay inside it.
        ("DrOrchestrator.Cli", ["Quartz", "Hangfire"]),
        ("drorch", ["Quartz", "Hangfire"]),
    ];

    public static bool Matches(string name, string pattern) =>
        name.Equals(pattern, StringComparison.OrdinalIgnoreCase)
        || name.StartsWith(pattern + ".", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="reference"/> is forbidden for <paramref name="assembly"/>; Core may reference itself only.</summary>
    public static bool IsForbidden(string assembly, string reference, string[] forbidden) =>
        !reference.Equals(assembly, StringComparison.OrdinalIgnoreCase)
        && !(Matches(assembly, "DrOrchestrator.Storage") && Matches(reference, "DrOrchestrator.Core"))
        && !(Matches(assembly, "DrOrchestrator.Catalog") && Matches(reference, "DrOrchestrator.Core"))
        && forbidden.Any(f => Matches(reference, f));
}
