using System.Diagnostics;
using System.Security.Cryptography;
using DrOrchestrator.Core.Configuration;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Policies;
using DrOrchestrator.Orchestration.Restore;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Quickstart;

/// <summary>The figures the quickstart prints at the end.</summary>
public sealed record QuickstartReport(
    string PolicyFile,
    string SampleDirectory,
    string RestoreDirectory,
    IReadOnlyList<PolicyBackupOutcome> Backups,
    PolicyRestoreOutcome Restore,
    int FilesCompared,
    long SampleBytes)
{
    /// <summary>Logical bytes of all snapshots divided by bytes actually stored.</summary>
    public double DedupRatio
    {
        get
        {
            var stored = Backups.Sum(b => b.BytesStored);
            return stored == 0 ? 0 : (double)Backups.Sum(b => b.TotalBytes) / stored;
        }
    }
}

/// <summary>
/// The embedded-default tour: sample data → policy → backup → change → backup → restore into a
/// fresh folder → compare every file with its original by SHA-256. Needs no server and no cloud:
/// SQLite catalog and the local target from appsettings.json.
/// </summary>
public sealed class QuickstartRunner
{
    public const string PolicyName = "quickstart";

    private readonly IConfiguration _configuration;
    private readonly PolicyApplyService _policies;
    private readonly PolicyBackupService _backup;
    private readonly PolicyRestoreService _restore;
    private readonly RepositoryAccess _repositories;

    public QuickstartRunner(
        IConfiguration configuration, PolicyApplyService policies, PolicyBackupService backup, PolicyRestoreService restore, RepositoryAccess repositories)
    {
        _configuration = configuration;
        _policies = policies;
        _backup = backup;
        _restore = restore;
        _repositories = repositories;
    }

    /// <summary>The tour, as the front doors show it.</summary>
    public async Task<QuickstartSummary> RunTourAsync(string target, int sampleMegabytes, Action<string> say, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(say);
        if (_repositories.CreateKeyFileIfMissing(target) is { } keyFile)
        {
            say($"Created a new repository key in {keyFile} (mode 0600). Keep a copy somewhere safe: without it no backup can be restored.");
        }

        return QuickstartSummary.From(await RunAsync(target, sampleMegabytes, say, cancellationToken).ConfigureAwait(false));
    }

    public async Task<QuickstartReport> RunAsync(string target, int sampleMegabytes, Action<string> say, CancellationToken cancellationToken)
    {
        var root = ConfigurationFile.ResolvePath(_configuration, Path.Combine("data", "quickstart"));
        var sample = Path.Combine(root, "sample");
        Directory.CreateDirectory(root);

        long sampleBytes;
        if (Directory.Exists(sample))
        {
            sampleBytes = Directory.EnumerateFiles(sample, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            say($"Reusing sample data in {sample}");
        }
        else
        {
            say($"Writing {sampleMegabytes} MiB of sample data to {sample}");
            sampleBytes = SampleDataGenerator.Generate(sample, sampleMegabytes, cancellationToken);
        }

        var policyFile = Path.Combine(root, "quickstart.yaml");
        await File.WriteAllTextAsync(policyFile, PolicyYaml(sample, target), cancellationToken).ConfigureAwait(false);
        await _policies.ApplyAsync(policyFile, cancellationToken).ConfigureAwait(false);
        say($"Applied policy '{PolicyName}' from {policyFile}");

        var first = await _backup.BackupAsync(PolicyName, null, cancellationToken).ConfigureAwait(false);
        say($"Backup 1: snapshot {first.Results[0].Snapshot.ShortId}");
        SampleDataGenerator.SimulateChanges(sample, generation: Environment.TickCount & 0xffff);
        var second = await _backup.BackupAsync(PolicyName, null, cancellationToken).ConfigureAwait(false);
        say($"Backup 2 (after changing a file): snapshot {second.Results[0].Snapshot.ShortId}");

        var destination = Path.Combine(root, $"restore-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}");
        var restore = await _restore.RestoreAsync(
            new PolicyRestoreRequest(PolicyName, null, null, null, [], destination, Overwrite: false), null, cancellationToken).ConfigureAwait(false);
        var compared = await CompareTreesAsync(sample, Path.Combine(destination, RestoredRootName(sample)), cancellationToken).ConfigureAwait(false);
        return new QuickstartReport(policyFile, sample, destination, [first, second], restore, compared, sampleBytes);
    }

    private static string PolicyYaml(string sample, string target) => $$"""
        # Written by `drorch quickstart`; edit it and re-apply with: drorch policy apply <this file>
        name: {{PolicyName}}
        description: Sample data of the quickstart
        sources:
          - type: files
            paths: ["{{sample}}"]
            exclude: ["**/*.tmp"]
        targets:
          - name: {{target}}
            role: primary
        schedule: { cron: "0 0 * * * ?", timeZone: UTC }
        rpo: 1h
        rto: 15m
        retention: { keepLast: 10, keepDaily: 7 }
        drill: { cron: "0 30 3 * * ?", timeZone: UTC }

        """;

    /// <summary>The restorer puts each backed-up path under its own name inside the destination.</summary>
    private static string RestoredRootName(string sample) => Path.GetFileName(Path.TrimEndingDirectorySeparator(sample));

    /// <summary>
    /// An independent check, beside the restorer's own: every original file's SHA-256 against the
    /// restored copy (what an admin would do with sha256sum).
    /// </summary>
    private static async Task<int> CompareTreesAsync(string original, string restored, CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var file in Directory.EnumerateFiles(original, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            if (new FileInfo(file).LinkTarget is not null)
            {
                continue;
            }

            var copy = Path.Combine(restored, Path.GetRelativePath(original, file));
            if (!File.Exists(copy))
            {
                throw new InvalidOperationException($"quickstart: {copy}: missing after restore");
            }

            var expected = await HashAsync(file, cancellationToken).ConfigureAwait(false);
            var actual = await HashAsync(copy, cancellationToken).ConfigureAwait(false);
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                throw new InvalidOperationException($"quickstart: {copy}: SHA-256 differs from {file}");
            }

            count++;
        }

        return count;
    }

    private static async Task<byte[]> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
    }
}
