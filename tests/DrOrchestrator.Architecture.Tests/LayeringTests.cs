using System.Reflection;
using System.Xml.Linq;

namespace DrOrchestrator.Architecture.Tests;

/// <summary>
/// Layering enforced by a test, not by hope (restic does it with a linter). Two views are checked:
/// the compiled assemblies' references (what the code really uses) and the project files (what
/// could be used tomorrow, since the compiler drops unused references from the metadata).
/// </summary>
public sealed class LayeringTests
{
    private static readonly string[] ExpectedAssemblies =
    [
        "DrOrchestrator.Core", "DrOrchestrator.Storage.Local", "DrOrchestrator.Storage.S3",
        "DrOrchestrator.Storage.AzureBlob", "DrOrchestrator.Sources.PostgreSql",
        "DrOrchestrator.Sources.MySql", "DrOrchestrator.Sources.Sqlite", "DrOrchestrator.Catalog", "DrOrchestrator.Migrations.Sqlite",
        "DrOrchestrator.Migrations.Postgres", "DrOrchestrator.Orchestration", "DrOrchestrator.Server", "drorch",
    ];

    [Fact]
    public void Every_layered_assembly_is_built_next_to_the_tests()
    {
        var present = OurAssemblies().Select(a => a.GetName().Name!).ToHashSet(StringComparer.Ordinal);

        Assert.All(ExpectedAssemblies, name => Assert.Contains(name, present));
    }

    [Fact]
    public void Every_project_is_checked_by_some_rule()
    {
        var unruled = Projects()
            .Select(Path.GetFileNameWithoutExtension)
            .Where(name => !LayeringRules.Rules.Any(r => r.Assembly != "*" && r.AppliesTo(name!)))
            .ToList();

        Assert.Empty(unruled);
    }

    [Fact]
    public void Compiled_assemblies_reference_only_inner_layers()
    {
        var graph = OurAssemblies().Select(a => (a.GetName().Name!, a.GetReferencedAssemblies().Select(r => r.Name!)));

        Assert.Empty(LayeringRules.Violations(graph));
    }

    [Fact]
    public void Project_files_reference_only_inner_layers()
    {
        var graph = Projects().Select(p => (Path.GetFileNameWithoutExtension(p), References(p)));

        Assert.Empty(LayeringRules.Violations(graph));
    }

    [Fact]
    public void The_cli_sources_use_no_inner_layer_namespace()
    {
        var root = RepositoryRoot();
        var violations =
            from file in Directory.EnumerateFiles(Path.Combine(root, "src", "DrOrchestrator.Cli"), "*.cs", SearchOption.AllDirectories)
            where !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            from line in File.ReadLines(file)
            where line.StartsWith("using DrOrchestrator.", StringComparison.Ordinal)
                && !line.StartsWith("using DrOrchestrator.Cli", StringComparison.Ordinal)
                && !line.StartsWith("using DrOrchestrator.Orchestration", StringComparison.Ordinal)
                // `drorch serve` hands the process to the service; no other command may reach it.
                && !(line.StartsWith("using DrOrchestrator.Server", StringComparison.Ordinal) && Path.GetFileName(file) == "ServeCommand.cs")
                // `--server URL` is a client of the REST API: it reads the API's contracts (DTOs), nothing else of the service.
                && !(line == "using DrOrchestrator.Server.Api;" && Path.GetFileName(Path.GetDirectoryName(file)) == "Remote")
            select $"{Path.GetRelativePath(root, file)}: {line}";

        Assert.Empty(violations);
    }

    private static IEnumerable<Assembly> OurAssemblies() =>
        Directory.EnumerateFiles(AppContext.BaseDirectory, "DrOrchestrator.*.dll")
            .Append(Path.Combine(AppContext.BaseDirectory, "drorch.dll"))
            .Where(p => !Path.GetFileName(p).Contains(".Tests", StringComparison.Ordinal))
            .Select(p => Assembly.Load(AssemblyName.GetAssemblyName(p)));

    /// <summary>Every product project: src/ and migrations/ (tests/ and bench/ may reference anything).</summary>
    private static IEnumerable<string> Projects()
    {
        var root = RepositoryRoot();
        return new[] { "src", "migrations" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.csproj", SearchOption.AllDirectories));
    }

    private static IEnumerable<string> References(string project) =>
        XDocument.Load(project).Descendants()
            .Where(e => e.Name.LocalName is "ProjectReference" or "PackageReference")
            .Select(e => (string?)e.Attribute("Include") ?? "")
            .Select(include => include.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase)
                ? Path.GetFileNameWithoutExtension(include.Replace('\\', '/'))
                : include);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DrOrchestrator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"DrOrchestrator.sln not found above {AppContext.BaseDirectory}");
    }
}
