using DrOrchestrator.Cli.Console;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Server.Api;

namespace DrOrchestrator.Cli.Commands.Remote;

/// <summary>
/// The commands' bodies under <c>--server</c>: the same arguments, sent to the service, the same
/// output shapes where the API returns the same contract (snapshots, status), and an exit code from the
/// job's outcome when the command waits for one (backup, restore).
/// </summary>
public static class RemoteCommands
{
    public static async Task<int> BackupAsync(CliOutput output, ServiceClient client, string policy, bool json, CancellationToken cancellationToken)
    {
        var queued = await client.PostJsonAsync<JobDto>($"/api/policies/{Uri.EscapeDataString(policy)}/backup", new { }, cancellationToken).ConfigureAwait(false);
        return Report(output, await WaitAsync(client, queued, cancellationToken).ConfigureAwait(false), json);
    }

    /// <summary>The destination is a folder under the service's Server:RestoreRoot, on the service's machine.</summary>
    public static async Task<int> RestoreAsync(
        CliOutput output, ServiceClient client, string policy, string destination, string? snapshotId, DateTimeOffset? at, string? from, IReadOnlyList<string> include,
        bool overwrite, bool json, CancellationToken cancellationToken)
    {
        var request = new RestoreRequestDto(destination, snapshotId, at, from, include, overwrite);
        var queued = await client.PostJsonAsync<JobDto>($"/api/policies/{Uri.EscapeDataString(policy)}/restore", request, cancellationToken).ConfigureAwait(false);
        return Report(output, await WaitAsync(client, queued, cancellationToken).ConfigureAwait(false), json);
    }

    public static Task<List<SnapshotListItem>> SnapshotsAsync(ServiceClient client, string? policy, string? target, CancellationToken cancellationToken) =>
        client.GetAsync<List<SnapshotListItem>>("/api/snapshots" + Query(("policy", policy), ("target", target)), cancellationToken);

    /// <summary>`status`: the rows the local command computes, computed by the service from its catalog.</summary>
    public static Task<List<ObjectiveStatusInfo>> ObjectivesAsync(ServiceClient client, string? policy, CancellationToken cancellationToken) =>
        client.GetAsync<List<ObjectiveStatusInfo>>("/api/objectives" + Query(("policy", policy)), cancellationToken);

    /// <summary>`status --html`: the service renders the page (the same renderer as the local command).</summary>
    public static Task<string> ObjectivesPageAsync(ServiceClient client, string? policy, CancellationToken cancellationToken) =>
        client.GetTextAsync("/api/objectives/page" + Query(("policy", policy)), cancellationToken);

    public static async Task<int> ApplyAsync(CliOutput output, ServiceClient client, IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            string yaml;
            try
            {
                yaml = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ServiceRequestException([$"{file}: {ex.Message}"], ExitCodes.InvalidInput);
            }

            var applied = await client.PostYamlAsync<AppliedPoliciesDto>("/api/policies" + Query(("file", Path.GetFileName(file))), yaml, cancellationToken).ConfigureAwait(false);
            foreach (var name in applied.Applied)
            {
                output.Line($"applied policy {name} (on {client.BaseAddress})");
            }
        }

        return ExitCodes.Success;
    }

    public static async Task<int> ListPoliciesAsync(CliOutput output, ServiceClient client, bool json, CancellationToken cancellationToken)
    {
        var policies = await client.GetAsync<List<PolicyDto>>("/api/policies", cancellationToken).ConfigureAwait(false);
        if (json)
        {
            output.Line(ContractJson.Serialize(policies));
            return ExitCodes.Success;
        }

        foreach (var p in policies)
        {
            var next = p.NextBackupAt is { } at ? $" next {Format.Time(at)}" : "";
            var problem = p.ScheduleProblem is { } text ? $"  (change refused: {text})" : "";
            output.Line($"{p.Name,-20} rpo {p.Rpo,-6} rto {p.Rto,-6} {p.Cron} {p.TimeZone}  targets: {string.Join(", ", p.Targets.Select(t => t.Name))}{next}{problem}");
        }

        return ExitCodes.Success;
    }

    public static async Task<int> RunsAsync(CliOutput output, ServiceClient client, string? policy, int limit, bool json, CancellationToken cancellationToken)
    {
        var runs = await client.GetAsync<List<RunDto>>("/api/runs" + Query(("policy", policy), ("limit", limit.ToString(System.Globalization.CultureInfo.InvariantCulture))), cancellationToken).ConfigureAwait(false);
        if (json)
        {
            output.Line(ContractJson.Serialize(runs));
            return ExitCodes.Success;
        }

        output.Line($"{"RUN",7} {"POLICY",-16} {"KIND",-8} {"STATUS",-12} {"STARTED",-21} {"FILES",9} {"STORED",10}  SNAPSHOT");
        foreach (var r in runs)
        {
            var error = r.Error is { } e ? $"  {e}" : "";
            output.Line($"{r.Id,7} {r.Policy,-16} {r.Kind,-8} {r.Status,-12} {Format.Time(r.StartedAt),-21} {r.Files,9:N0} {Format.Bytes(r.BytesStored),10}  {r.SnapshotId?[..Math.Min(8, r.SnapshotId.Length)]}{error}");
        }

        output.Line($"{runs.Count} runs");
        return ExitCodes.Success;
    }

    /// <summary>Follows the job until it ends (any node of a cluster answers for it).</summary>
    private static async Task<JobDto> WaitAsync(ServiceClient client, JobDto job, CancellationToken cancellationToken)
    {
        while (job.FinishedAt is null)
        {
            await Task.Delay(ServiceClient.PollInterval, cancellationToken).ConfigureAwait(false);
            job = await client.GetAsync<JobDto>($"/api/jobs/{Uri.EscapeDataString(job.JobId)}", cancellationToken).ConfigureAwait(false);
        }

        return job;
    }

    /// <summary>One line (or the job as JSON); the exit code the same command gives locally for that outcome.</summary>
    private static int Report(CliOutput output, JobDto job, bool json)
    {
        var line = $"{job.Kind} {job.Policy}: {job.Phase} (job {job.JobId}{(job.RunId is { } run ? $", run {run}" : "")}): {job.Message}";
        if (json)
        {
            output.Line(ContractJson.Serialize(job));
        }

        int exit = job.Phase switch
        {
            "succeeded" or "degraded" => ExitCodes.Success,
            "cancelled" => ExitCodes.Cancelled,
            _ => ExitCodes.Failure,
        };
        if (exit != ExitCodes.Success)
        {
            output.Error(line);
        }
        else if (!json)
        {
            output.Line(line);
        }

        return exit;
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var set = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return set.Count == 0 ? "" : "?" + string.Join('&', set);
    }
}
