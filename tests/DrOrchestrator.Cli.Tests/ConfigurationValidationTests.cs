namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// Issue 13 item 5: a wrong configuration never half-works. Each case, over the real binary run
/// from an empty working directory: one line naming the field, exit 2, and nothing created —
/// neither in the working directory nor beside the configuration nor where a path pointed.
/// </summary>
public sealed class ConfigurationValidationTests : IDisposable
{
    private const string Targets = "\"Targets\": { \"local\": { \"Type\": \"local\", \"Path\": \"repo\" } }";
    private const string Catalog = "\"Catalog\": { \"Provider\": \"Sqlite\", \"ConnectionString\": \"Data Source=catalog.db\" }";

    private readonly string _root = Directory.CreateTempSubdirectory("drorch-config-").FullName;

    private string WorkingDirectory => Path.Combine(_root, "cwd");

    private string ConfigDirectory => Path.Combine(_root, "etc");

    private string ConfigPath => Path.Combine(ConfigDirectory, "appsettings.json");

    [Fact]
    public async Task No_Catalog_section_is_exit_2_and_creates_no_catalog()
    {
        var run = await RunAsync("{ " + Targets + " }");

        AssertOneLine(run, "appsettings.json: Catalog: section is missing (e.g. \"Catalog\": { \"Provider\": \"Sqlite\", \"ConnectionString\": \"Data Source=data/catalog.db\" })");
    }

    [Fact]
    public async Task A_Catalog_that_is_a_string_is_exit_2_naming_the_section()
    {
        var run = await RunAsync("{ \"Catalog\": \"sqlite\", " + Targets + " }");

        AssertOneLine(run, "appsettings.json: Catalog: expected an object ({ ... }), got 'sqlite'");
    }

    [Fact]
    public async Task A_Catalog_without_a_connection_string_is_exit_2()
    {
        var run = await RunAsync("{ \"Catalog\": { \"Provider\": \"Sqlite\" }, " + Targets + " }");

        AssertOneLine(run, "appsettings.json: Catalog:ConnectionString: is required (e.g. \"Catalog\": { \"Provider\": \"Sqlite\", \"ConnectionString\": \"Data Source=data/catalog.db\" })");
    }

    [Fact]
    public async Task A_catalog_under_a_missing_folder_is_exit_2_and_the_folder_is_not_created()
    {
        var missing = Path.Combine(_root, "nonexistent", "dir");
        var run = await RunAsync("{ \"Catalog\": { \"Provider\": \"Sqlite\", \"ConnectionString\": \"Data Source=" + missing + "/c.db\" }, " + Targets + " }");

        AssertOneLine(run, $"appsettings.json: Catalog:ConnectionString: the folder of the catalog file, {missing}, does not exist (create it first; drorch does not create folders for the catalog)");
        Assert.False(Directory.Exists(Path.Combine(_root, "nonexistent")));
    }

    [Fact]
    public async Task A_Retry_value_that_is_not_a_number_is_exit_2_naming_the_field()
    {
        var run = await RunAsync("{ " + Catalog + ", \"Targets\": { \"local\": { \"Type\": \"local\", \"Path\": \"repo\", \"Retry\": { \"MaxAttempts\": \"lots\" } } } }");

        AssertOneLine(run, "appsettings.json: Targets:local:Retry:MaxAttempts: 'lots' is not a whole number");
    }

    [Fact]
    public async Task A_Retry_value_out_of_range_is_exit_2_naming_the_field()
    {
        var run = await RunAsync("{ " + Catalog + ", \"Targets\": { \"local\": { \"Type\": \"local\", \"Path\": \"repo\", \"Retry\": { \"MaxAttempts\": 0 } } } }");

        AssertOneLine(run, "appsettings.json: Targets:local:Retry:MaxAttempts must be between 1 and 100 (got 0).");
    }

    [Fact]
    public async Task A_RepositoryKey_naming_no_source_is_exit_2()
    {
        var run = await RunAsync("{ " + Catalog + ", \"RepositoryKey\": { \"Environment\": \"KEY\" }, " + Targets + " }");

        AssertOneLine(run, "appsettings.json: RepositoryKey: set exactly one of EnvironmentVariable and File");
    }

    [Fact]
    public async Task No_Targets_section_is_exit_2()
    {
        var run = await RunAsync("{ " + Catalog + " }");

        AssertOneLine(run, "appsettings.json: Targets: section is missing");
    }

    [Fact]
    public async Task No_configuration_file_at_all_is_exit_2_saying_where_it_looked()
    {
        Directory.CreateDirectory(WorkingDirectory);

        var run = await RealDrorch.RunAsync(WorkingDirectory, new Dictionary<string, string?>(), "policy", "list");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            $"drorch: error: no configuration file: looked for --config FILE, $DRORCH_CONFIG and {Path.Combine(WorkingDirectory, "appsettings.json")}",
            run.Stderr.Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(WorkingDirectory));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<CliRun> RunAsync(string json)
    {
        Directory.CreateDirectory(WorkingDirectory);
        Directory.CreateDirectory(ConfigDirectory);
        File.WriteAllText(ConfigPath, json);
        return await RealDrorch.RunAsync(WorkingDirectory, new Dictionary<string, string?>(), "policy", "list", "--config", ConfigPath);
    }

    /// <summary>Exit 2, exactly one error line, and nothing created anywhere.</summary>
    private void AssertOneLine(CliRun run, string expected)
    {
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("drorch: error: " + expected, run.Stderr.Trim());
        Assert.Empty(run.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(WorkingDirectory));
        Assert.Equal([ConfigPath], Directory.EnumerateFileSystemEntries(ConfigDirectory));
    }
}
