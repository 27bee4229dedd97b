using System.Diagnostics;
using System.Text.Json;

namespace DrOrchestrator.Cli.Tests;

/// <summary>
/// Issue 20, what a new admin hits in the first hour: each item over the real `drorch` process,
/// asserting the exact line, the exit code, and that a failed command wrote nothing.
/// </summary>
public sealed class FirstHourCommandTests : IDisposable
{
    private static readonly string NewLine = Environment.NewLine;

    // Like the README's example configuration: no Logging section.
    private readonly CliSandbox _sandbox = new(settings => settings.Remove("Logging"));

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task A_missing_source_is_refused_before_anything_is_written()
    {
        var missing = Path.Combine(_sandbox.Root, "not-mounted");
        Assert.Equal(0, (await Drorch("policy", "apply", _sandbox.WritePolicy("offline", missing))).ExitCode);

        var backup = await Drorch("backup", "offline");

        Assert.Equal((1, "", $"drorch: error: source {missing} of policy 'offline' does not exist (not mounted? moved?); nothing was backed up{NewLine}"), (backup.ExitCode, backup.Stdout, backup.Stderr));
        Assert.False(Directory.Exists(_sandbox.RepositoryPath));
        Assert.Equal((0L, 0L), (Scalar("SELECT COUNT(*) FROM \"Snapshots\""), Scalar("SELECT COUNT(*) FROM \"Runs\"")));

        Directory.CreateDirectory(missing);
        File.WriteAllText(Path.Combine(missing, "a.txt"), "alpha\n");
        var mounted = await Drorch("backup", "offline");
        Assert.True(mounted.ExitCode == 0, mounted.ToString());
        Assert.Equal("", WithoutProgress(mounted.Stderr));
        Assert.Contains("  files: 1 new, 0 changed, 0 unmodified; 1 dir" + NewLine, mounted.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreadable_file_is_an_error_not_counted_and_not_restored()
    {
        var source = Source(("ok.txt", "alpha\n"), ("locked.bin", new string('x', 5000)));
        var locked = Path.Combine(source, "locked.bin");
        File.SetUnixFileMode(locked, UnixFileMode.None);
        Assert.Equal(0, (await Drorch("policy", "apply", _sandbox.WritePolicy("home", source))).ExitCode);

        // root reads any file: the backup runs without the capabilities that bypass permissions.
        IReadOnlyList<string> launcher = await IsRootAsync()
            ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
            : [];
        var backup = await RealDrorch.RunUnderAsync(launcher, _sandbox, null, "backup", "home", "--json");

        Assert.True(backup.ExitCode == 3, backup.ToString());
        Assert.StartsWith($"drorch: error: {locked}: cannot open: ", WithoutProgress(backup.Stderr), StringComparison.Ordinal);
        Assert.Single(WithoutProgress(backup.Stderr).Split(NewLine, StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(backup.Stdout);
        var snapshot = json.RootElement.GetProperty("snapshots")[0];
        Assert.Equal((1L, 6L), (snapshot.GetProperty("files").GetInt64(), snapshot.GetProperty("totalBytes").GetInt64()));
        Assert.Equal(locked, Assert.Single(json.RootElement.GetProperty("errors").EnumerateArray()).GetProperty("path").GetString());

        var destination = Path.Combine(_sandbox.Root, "restored");
        var restore = await Drorch("restore", "home", "--to", destination);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.StartsWith("  1 file (1 SHA-256 verified), 1 dir, 0 symlinks, 6 B in ", restore.Stdout.Split(NewLine)[1], StringComparison.Ordinal);
        Assert.Equal(["source/ok.txt"], Files(destination));
    }

    [Fact]
    public async Task Owners_are_restored_as_root_skipped_with_no_owner_and_an_owner_change_is_a_metadata_change()
    {
        Assert.True(await IsRootAsync(), "restoring owners needs root: run the tests as root, as CI does");
        var source = Source(("owned.txt", "owned\n"));
        var owned = Path.Combine(source, "owned.txt");
        await Run("chown", "1234:5678", owned);
        await ApplyAndBackUpAsync("home", source);

        var asRoot = Path.Combine(_sandbox.Root, "as-root");
        Assert.Equal(0, (await Drorch("restore", "home", "--to", asRoot)).ExitCode);
        Assert.Equal("1234:5678", await Owner(Path.Combine(asRoot, "source", "owned.txt")));
        var noOwner = Path.Combine(_sandbox.Root, "no-owner");
        Assert.Equal(0, (await Drorch("restore", "home", "--no-owner", "--to", noOwner)).ExitCode);
        Assert.Equal("0:0", await Owner(Path.Combine(noOwner, "source", "owned.txt")));

        await Run("chown", "4321:8765", owned);
        var again = await Drorch("backup", "home");
        Assert.True(again.ExitCode == 0, again.ToString());
        // The content is not read again; the new owner is recorded and the file counted as changed.
        Assert.Contains("  data:  6 B in snapshot, 0 B read, 0 B new", again.Stdout, StringComparison.Ordinal);
        Assert.Contains("  files: 0 new, 1 changed, 0 unmodified", again.Stdout, StringComparison.Ordinal);
        var changed = Path.Combine(_sandbox.Root, "changed");
        Assert.Equal(0, (await Drorch("restore", "home", "--to", changed)).ExitCode);
        Assert.Equal("4321:8765", await Owner(Path.Combine(changed, "source", "owned.txt")));
    }

    [Fact]
    public async Task Restore_include_that_matches_nothing_is_refused_and_absolute_paths_are_accepted()
    {
        var home = Path.Combine(_sandbox.Root, "alice");
        Directory.CreateDirectory(Path.Combine(home, "etc"));
        File.WriteAllText(Path.Combine(home, "etc", "hosts"), "127.0.0.1 localhost\n");
        File.WriteAllText(Path.Combine(home, "notes.txt"), "notes\n");
        var shortId = await ApplyAndBackUpAsync("home", home);

        var nothing = Path.Combine(_sandbox.Root, "nothing");
        var refused = await Drorch("restore", "home", "--include", "etc/**", "--to", nothing);
        Assert.Equal(
            (2, "", $"drorch: error: --include 'etc/**' matches nothing in snapshot {shortId}; its paths look like alice/… or {home}/…{NewLine}"),
            (refused.ExitCode, refused.Stdout, refused.Stderr));
        Assert.False(Directory.Exists(nothing));

        foreach (var glob in new[] { "alice/etc/**", $"{home}/etc/**" })
        {
            var destination = Path.Combine(_sandbox.Root, "r" + Guid.NewGuid().ToString("N")[..6]);
            var restore = await Drorch("restore", "home", "--include", glob, "--to", destination);
            Assert.True(restore.ExitCode == 0, restore.ToString());
            Assert.Equal(["alice/etc/hosts"], Files(destination));
        }
    }

    [Fact]
    public async Task Restore_overwrite_keeps_other_files_and_delete_removes_them()
    {
        var source = Source(("a.txt", "alpha\n"), ("b.txt", "beta\n"));
        await ApplyAndBackUpAsync("home", source);
        var destination = Path.Combine(_sandbox.Root, "live");
        Directory.CreateDirectory(Path.Combine(destination, "source", "stale-dir"));
        File.WriteAllText(Path.Combine(destination, "source", "stale.txt"), "old\n");
        File.WriteAllText(Path.Combine(destination, "source", "a.txt"), "changed locally\n");

        var overwrite = await Drorch("restore", "home", "--overwrite", "--to", destination);
        Assert.True(overwrite.ExitCode == 0, overwrite.ToString());
        Assert.Equal(["source/a.txt", "source/b.txt", "source/stale.txt"], Files(destination));
        Assert.Equal("alpha\n", File.ReadAllText(Path.Combine(destination, "source", "a.txt")));

        var combined = await Drorch("restore", "home", "--delete", "--include", "a.txt", "--to", destination);
        Assert.Equal(
            (2, $"drorch: error: --delete cannot be combined with --include (it would remove every path the filter leaves out){NewLine}"),
            (combined.ExitCode, combined.Stderr));
        Assert.Equal(["source/a.txt", "source/b.txt", "source/stale.txt"], Files(destination));

        var delete = await Drorch("restore", "home", "--delete", "--to", destination);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Equal($"  deleted 2 entries the snapshot does not hold (--delete){NewLine}", delete.Stdout.Split(NewLine, 3)[2]);
        Assert.Equal(["source/a.txt", "source/b.txt"], Files(destination));
        Assert.False(Directory.Exists(Path.Combine(destination, "source", "stale-dir")));
    }

    [Fact]
    public async Task Logs_stay_off_whatever_the_configuration_says_and_a_failure_is_one_line()
    {
        var source = Source(("a.txt", "alpha\n"));
        var fifo = Path.Combine(source, "pipe");
        await Run("mkfifo", fifo);

        var apply = await Drorch("policy", "apply", _sandbox.WritePolicy("home", source));
        Assert.Equal((0, $"applied policy home (local:primary){NewLine}", ""), (apply.ExitCode, apply.Stdout, apply.Stderr));
        var backup = await Drorch("backup", "home");
        Assert.Equal($"drorch: warning: {fifo}: skipped: sockets, FIFOs and devices are not backed up{NewLine}", WithoutProgress(backup.Stderr));
        var quiet = await Drorch("backup", "home", "--quiet");
        Assert.Equal((0, ""), (quiet.ExitCode, quiet.Stderr));

        var failed = await Drorch("backup", "nosuch");
        Assert.Equal((2, "", $"drorch: error: unknown policy 'nosuch' (known: home){NewLine}"), (failed.ExitCode, failed.Stdout, failed.Stderr));

        var verbose = await Drorch("backup", "nosuch", "--verbose");
        Assert.Equal(2, verbose.ExitCode);
        Assert.Contains($"drorch: error: unknown policy 'nosuch' (known: home){NewLine}DrOrchestrator.Orchestration.Backup.PolicyNotFoundException: ", verbose.Stderr, StringComparison.Ordinal);
        Assert.Contains("dbug: DrOrchestrator.Catalog.CatalogMigrator[3001]", verbose.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_errors_are_one_line_exit_2_with_did_you_mean_and_write_nothing()
    {
        var cases = new (string[] Args, string Line)[]
        {
            (["bakup", "home"], "drorch: error: unknown command 'bakup' (did you mean 'backup'?); see `drorch --help`"),
            (["backup", "home", "--nocopy"], "drorch: error: unknown option '--nocopy' for `drorch backup` (did you mean '--no-copy'?); see `drorch backup --help`"),
            (["restore", "home", "--snapshot", "ab", "--at", "2026-01-01", "--to", "x"], "drorch: error: --snapshot and --at cannot be combined; see `drorch restore --help`"),
            (["policy", "aply"], "drorch: error: unknown command 'aply' for `drorch policy` (did you mean 'apply'?); see `drorch policy --help`"),
            // A typo before a word that is itself a command (here a policy named like one) is still the typo.
            (["pruen", "quickstart"], "drorch: error: unknown command 'pruen' (did you mean 'prune'?); see `drorch --help`"),
        };
        foreach (var (args, line) in cases)
        {
            var run = await Drorch(args);
            Assert.Equal((2, "", line + NewLine), (run.ExitCode, run.Stdout, run.Stderr));
        }

        Assert.False(File.Exists(_sandbox.CatalogPath));
        Assert.False(Directory.Exists(Path.Combine(_sandbox.Root, "x")));
    }

    [Fact]
    public async Task An_unknown_policy_is_the_same_message_and_exit_2_for_every_command()
    {
        await ApplyAndBackUpAsync("alpha", Source(("a.txt", "alpha\n")));
        await ApplyAndBackUpAsync("beta", Source(("b.txt", "beta\n")));
        var destination = Path.Combine(_sandbox.Root, "restored");

        foreach (var args in new[] { new[] { "snapshots", "nosuch" }, ["snapshots", "--from", "local", "nosuch"], ["backup", "nosuch"], ["copy", "nosuch"], ["status", "nosuch"], ["restore", "nosuch", "--to", destination] })
        {
            var run = await Drorch(args);
            Assert.Equal((2, "", $"drorch: error: unknown policy 'nosuch' (known: alpha, beta){NewLine}"), (run.ExitCode, run.Stdout, run.Stderr));
        }

        Assert.False(Directory.Exists(destination));
        // The two backups, and no run of any refused command (the orchestrator's own records are runs of their own).
        Assert.Equal(2L, Scalar("SELECT COUNT(*) FROM \"Runs\" WHERE \"Kind\" <> 'systembackup'"));
    }

    [Fact]
    public async Task Without_a_configuration_commands_name_the_files_looked_for_and_quickstart_writes_its_own()
    {
        var empty = Directory.CreateTempSubdirectory("drorch-empty-").FullName;
        try
        {
            var run = await RealDrorch.RunAsync(empty, new Dictionary<string, string?>(), "snapshots");
            Assert.Equal(
                (2, "", $"drorch: error: no configuration file: looked for --config FILE, $DRORCH_CONFIG and {empty}/appsettings.json{NewLine}"),
                (run.ExitCode, run.Stdout, run.Stderr));
            Assert.Empty(Directory.EnumerateFileSystemEntries(empty));

            var quickstart = await RealDrorch.RunAsync(empty, new Dictionary<string, string?>(), "quickstart", "--sample-size", "6");
            Assert.True(quickstart.ExitCode == 0, quickstart.ToString());
            Assert.StartsWith($"No configuration found: wrote {empty}/appsettings.json (SQLite catalog, key and local repository under ./data); later commands in this folder use it.{NewLine}", quickstart.Stdout, StringComparison.Ordinal);

            var snapshots = await RealDrorch.RunAsync(empty, new Dictionary<string, string?>(), "snapshots", "quickstart");
            Assert.Equal((0, ""), (snapshots.ExitCode, snapshots.Stderr));
            Assert.EndsWith($"{NewLine}2 snapshots{NewLine}", snapshots.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public async Task At_without_an_offset_is_local_time_and_a_time_before_every_snapshot_names_the_oldest()
    {
        var source = Source(("a.txt", "alpha\n"));
        Assert.Equal(0, (await Drorch("policy", "apply", _sandbox.WritePolicy("home", source))).ExitCode);
        var backup = await Drorch("backup", "home", "--json");
        using var json = JsonDocument.Parse(backup.Stdout);
        var snapshot = json.RootElement.GetProperty("snapshots")[0];
        var shortId = snapshot.GetProperty("id").GetString()![..8];
        var recoveryPoint = snapshot.GetProperty("recoveryPoint").GetDateTimeOffset().UtcDateTime;
        var kolkata = new Dictionary<string, string?> { ["TZ"] = "Asia/Kolkata" };

        var early = Path.Combine(_sandbox.Root, "early");
        var tooEarly = await RealDrorch.RunAsync(_sandbox, kolkata, "restore", "home", "--at", "2000-01-01T05:30", "--to", early);
        Assert.Equal(
            (2, $"--at 2000-01-01T05:30 is 2000-01-01 00:00:00Z (local time, UTC+05:30){NewLine}",
                $"drorch: error: no snapshot of policy 'home' at or before 2000-01-01 00:00:00Z: the oldest is {shortId} at {recoveryPoint:yyyy-MM-dd HH:mm:ss}Z{NewLine}"),
            (tooEarly.ExitCode, tooEarly.Stdout, tooEarly.Stderr));
        Assert.False(Directory.Exists(early));

        var late = await RealDrorch.RunAsync(_sandbox, kolkata, "restore", "home", "--at", "2999-01-01T05:30", "--to", Path.Combine(_sandbox.Root, "late"));
        Assert.True(late.ExitCode == 0, late.ToString());
        Assert.StartsWith($"--at 2999-01-01T05:30 is 2999-01-01 00:00:00Z (local time, UTC+05:30){NewLine}restored snapshot {shortId} ", late.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Copy_without_replicas_says_there_is_nothing_to_copy_and_counts_read_in_the_singular()
    {
        await ApplyAndBackUpAsync("home", Source(("a.txt", "alpha\n")));

        var copy = await Drorch("copy", "home");
        Assert.Equal((0, $"nothing to copy: policy home has no replicas and no other primary{NewLine}", ""), (copy.ExitCode, copy.Stdout, copy.Stderr));

        var snapshots = await Drorch("snapshots", "home");
        Assert.EndsWith($"{NewLine}1 snapshot{NewLine}", snapshots.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_generate_writes_a_private_key_that_works_and_never_overwrites_one()
    {
        var keyFile = Path.Combine(_sandbox.Root, "keys", "repository.key");
        Directory.CreateDirectory(Path.GetDirectoryName(keyFile)!);

        var generate = await Drorch("key", "generate", keyFile);
        Assert.Equal((0, ""), (generate.ExitCode, generate.Stderr));
        Assert.StartsWith($"wrote a new repository key to {keyFile} (mode 0600){NewLine}", generate.Stdout, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        var key = File.ReadAllText(keyFile);
        Assert.Equal(32, Convert.FromBase64String(key.Trim()).Length);

        var again = await Drorch("key", "generate", keyFile);
        Assert.Equal(
            (2, "", $"drorch: error: {keyFile}: already exists; a key file is never overwritten (the backups made with it would become unreadable){NewLine}"),
            (again.ExitCode, again.Stdout, again.Stderr));
        Assert.Equal(key, File.ReadAllText(keyFile));

        using var withKeyFile = new CliSandbox(settings => settings["RepositoryKey"] = new Dictionary<string, string> { ["File"] = keyFile });
        await withKeyFile.ApplyAndBackUpAsync("home", Source(("a.txt", "alpha\n")));
    }

    [Fact]
    public async Task The_top_level_help_shows_an_optional_argument_as_the_command_help_does()
    {
        var top = await Drorch("--help");
        Assert.Equal(0, top.ExitCode);
        Assert.Contains($"{NewLine}  snapshots [<policy>]  ", top.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{NewLine}  backup <policy>  ", top.Stdout, StringComparison.Ordinal);
        var command = await Drorch("snapshots", "--help");
        Assert.Contains($"{NewLine}  drorch snapshots [<policy>] [options]{NewLine}", command.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_tours_example_policy_is_shipped_and_valid()
    {
        var example = Path.Combine(RepositoryRoot(), "policies", "example.yaml");
        var run = await Drorch("policy", "validate", example);
        Assert.Equal((0, $"{example}: ok (example){NewLine}", ""), (run.ExitCode, run.Stdout, run.Stderr));
    }

    [Fact]
    public async Task Progress_on_a_terminal_moves_by_bytes_with_the_current_file_and_check_read_data_says_what_it_read()
    {
        var source = Source();
        File.WriteAllBytes(Path.Combine(source, "big.bin"), BackupRestoreCommandTests.RandomBytes(128 << 20, seed: 20));
        Assert.Equal(0, (await Drorch("policy", "apply", _sandbox.WritePolicy("home", source))).ExitCode);

        var backup = await OnTerminalAsync("backup", "home");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains("backup home: ", backup.Stdout, StringComparison.Ordinal);
        Assert.Contains(" of 128.0 MiB, ", backup.Stdout, StringComparison.Ordinal);
        Assert.Contains("/big.bin", backup.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"\d+\.\d (KiB|MiB|GiB)/s", backup.Stdout);

        var restore = await OnTerminalAsync("restore", "home", "--to", Path.Combine(_sandbox.Root, "restored"));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("restore home: ", restore.Stdout, StringComparison.Ordinal);
        Assert.Contains("source/big.bin", restore.Stdout, StringComparison.Ordinal);

        // Not a terminal: no bar, no escape sequences, and the data check says what it read.
        var check = await Drorch("check", "local", "--read-data");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.DoesNotContain('\u001b', check.Stdout);
        Assert.Matches(@"(?m)^read data: \d+ packs, 128\.\d MiB downloaded, decrypted and re-hashed\r?$", check.Stdout);
    }

    /// <summary>Runs drorch with a terminal as stdout (util-linux `script`), as an admin at a shell sees it.</summary>
    private async Task<CliRun> OnTerminalAsync(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "drorch.dll");
        var command = "dotnet " + string.Join(' ', new[] { dll }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var info = new ProcessStartInfo("script", ["-qec", command, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["DRORCH_CONFIG"] = _sandbox.ConfigPath;
        info.Environment[_sandbox.KeyVariable] = Environment.GetEnvironmentVariable(_sandbox.KeyVariable);
        info.Environment["TERM"] = "xterm-256color";
        info.Environment["COLUMNS"] = "160";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DrOrchestrator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no DrOrchestrator.sln above {AppContext.BaseDirectory}");
    }

    private async Task<string> ApplyAndBackUpAsync(string policy, string source)
    {
        var apply = await Drorch("policy", "apply", _sandbox.WritePolicy(policy, source));
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var backup = await Drorch("backup", policy, "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        using var json = JsonDocument.Parse(backup.Stdout);
        return json.RootElement.GetProperty("snapshots")[0].GetProperty("id").GetString()![..8];
    }

    private Task<CliRun> Drorch(params string[] args) => RealDrorch.RunAsync(_sandbox, null, args);

    private string Source(params (string Name, string Content)[] files)
    {
        var source = Path.Combine(_sandbox.Root, "sources", Guid.NewGuid().ToString("N")[..8], "source");
        Directory.CreateDirectory(source);
        foreach (var (name, content) in files)
        {
            File.WriteAllText(Path.Combine(source, name), content);
        }

        return source;
    }

    /// <summary>Stderr without the plain progress lines a slow run prints every 10 s when stdout is not a terminal.</summary>
    private static string WithoutProgress(string stderr) =>
        string.Concat(stderr.Split(NewLine).SkipLast(1).Where(l => !System.Text.RegularExpressions.Regex.IsMatch(l, @"^(backup|restore|check) \S+: ")).Select(l => l + NewLine));

    private static List<string> Files(string root) =>
        [.. Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];

    private long Scalar(string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_sandbox.CatalogPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static async Task<string> Owner(string path) => (await Run("stat", "-c", "%u:%g", path)).Trim();

    private static async Task<string> Run(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {process.ExitCode}");
        return output;
    }

    private static async Task<bool> IsRootAsync() => (await Run("id", "-u")).Trim() == "0";
}
