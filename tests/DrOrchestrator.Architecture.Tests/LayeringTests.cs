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
        "DrOrchestrator.Storage.AzureBlob", "DrOrchestrator.Catalog", "DrOrchestrator.Server",
    ];

    [Fact]
    public void Every_layered_assembly_is_built_next_to_the_tests()
    {
        var present = OurAssemblies().Select(a => a.GetName().Name!).ToHashSet(StringComparer.Ordinal);

        Assert.All(ExpectedAssemblies, name => Assert.Contains(name, present));
    }

    [Fact]
    public void Compiled_assemblies_reference_only_inner_layers()
    {
        var violations =
            from assembly in OurAssemblies()
            let name = assembly.GetName().Name!
            from rule in LayeringRules.Rules
            where LayeringRules.Matches(name, rule.Assembly)
            from reference in assembly.GetReferencedAssemblies()
            where LayeringRules.IsForbidden(name, reference.Name!, rule.Forbidden)
            select $"{name} references {reference.Name}";

        Assert.Empty(violations);
    }

    [Fact]
    public void Project_files_reference_only_inner_layers()
    {
        var root = RepositoryRoot();
        var violations =
            from project in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories)
            let name = Path.GetFileNameWithoutExtension(project)
            from rule in LayeringRules.Rules
            where LayeringRules.Matches(name, rule.Assembly)
            from reference in References(project)
            where LayeringRules.IsForbidden(name, reference, rule.Forbidden)
            select $"{Path.GetRelativePath(root, project)} references {reference}";

        Assert.Empty(violations);
    }

    [Theory]
    [InlineData("DrOrchestrator.Core", "AWSSDK.S3", true)]
    [InlineData("DrOrchestrator.Core", "Azure.Storage.Blobs", true)]
    [InlineData("DrOrchestrator.Core", "Microsoft.EntityFrameworkCore", true)]
    [InlineData("DrOrchestrator.Core", "DrOrchestrator.Catalog", true)]
    [InlineData("DrOrchestrator.Core", "Microsoft.Extensions.Logging.Abstractions", false)]
    [InlineData("DrOrchestrator.Core", "AzureFoo", false)]
    [InlineData("DrOrchestrator.Storage.S3", "DrOrchestrator.Core", false)]
    [InlineData("DrOrchestrator.Storage.S3", "DrOrchestrator.Catalog", true)]
    [InlineData("DrOrchestrator.Storage.Local", "drorch", true)]
    [InlineData("DrOrchestrator.Catalog", "DrOrchestrator.Storage.Local", true)]
    [InlineData("DrOrchestrator.Catalog", "Microsoft.EntityFrameworkCore", false)]
    [InlineData("DrOrchestrator.Orchestration", "Spectre.Console", true)]
    [InlineData("DrOrchestrator.Orchestration", "DrOrchestrator.Catalog", false)]
    [InlineData("DrOrchestrator.Storage.S3", "DrOrchestrator.Orchestration", true)]
    [InlineData("DrOrchestrator.Orchestration", "Quartz", true)]
    [InlineData("DrOrchestrator.Orchestration", "Hangfire.Core", true)]
    [InlineData("DrOrchestrator.Server", "DrOrchestrator.Orchestration", false)]
    [InlineData("DrOrchestrator.Server", "Quartz", false)]
    [InlineData("DrOrchestrator.Server", "DrOrchestrator.Storage.S3", true)]
    [InlineData("DrOrchestrator.Server", "drorch", true)]
    [InlineData("drorch", "Hangfire.Core", true)]
    [InlineData("drorch", "DrOrchestrator.Server", false)]
    public void The_rules_match_what_they_should(string assembly, string reference, bool forbidden)
    {
        var rule = LayeringRules.Rules.Single(r => LayeringRules.Matches(assembly, r.Assembly));

        Assert.Equal(forbidden, LayeringRules.IsForbidden(assembly, reference, rule.Forbidden));
    }

    private static IEnumerable<Assembly> OurAssemblies() =>
        Directory.EnumerateFiles(AppContext.BaseDirectory, "DrOrchestrator.*.dll")
            .Where(p => !Path.GetFileName(p).Contains(".Tests", StringComparison.Ordinal))
            .Select(p => Assembly.Load(AssemblyName.GetAssemblyName(p)));

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
