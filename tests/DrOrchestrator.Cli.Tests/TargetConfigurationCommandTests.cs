namespace DrOrchestrator.Cli.Tests;

/// <summary>Targets are registered by their backends; what an admin sees when a definition is wrong.</summary>
public sealed class TargetConfigurationCommandTests
{
    [Fact]
    public async Task An_unknown_target_type_is_one_line_naming_the_file_target_and_field_and_exits_2()
    {
        using var sandbox = new CliSandbox(settings =>
            ((Dictionary<string, object>)settings["Targets"])["tape"] = new Dictionary<string, string> { ["Type"] = "ftp" });

        var run = await sandbox.RunAsync("check", "local");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("drorch: error: appsettings.json: Targets:tape:Type: unknown target type 'ftp' (expected local, s3, azure, pool)", run.Stderr.Trim());
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task A_backend_that_rejects_its_options_stops_the_command_before_anything_is_written()
    {
        using var sandbox = new CliSandbox(settings =>
            ((Dictionary<string, object>)settings["Targets"])["local"] = new Dictionary<string, string> { ["Type"] = "local", ["Path"] = "" });
        var source = Directory.CreateDirectory(Path.Combine(sandbox.Root, "src")).FullName;
        File.WriteAllText(Path.Combine(source, "a.txt"), "a");

        var run = await sandbox.RunAsync("policy", "apply", sandbox.WritePolicy("home", source));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("drorch: error: appsettings.json: Targets:local: Path: must be set to the absolute path of the repository directory.", run.Stderr.Trim());
        Assert.False(Directory.Exists(sandbox.RepositoryPath));
    }
}
