namespace DrOrchestrator.Storage.Tests.Emulators;

/// <summary>Locates the repository (the directory holding DrOrchestrator.sln) from the test binaries.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>tests/node_modules, where `npm ci --prefix tests` installs the emulators.</summary>
    public static string NodeModules => Path.Combine(Root, "tests", "node_modules");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DrOrchestrator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"DrOrchestrator.sln not found in any parent of {AppContext.BaseDirectory}.");
    }
}
