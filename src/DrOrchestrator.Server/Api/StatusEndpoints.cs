using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Monitoring;
using DrOrchestrator.Orchestration.Targets;
using DrOrchestrator.Server.Scheduling;
using DrOrchestrator.Server.Work;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DrOrchestrator.Server.Api;

/// <summary>/api/status (per policy: next fire, last run, RPO exposure; running jobs), /api/objectives (`drorch status`), /healthz, /readyz.</summary>
public static class StatusEndpoints
{
    /// <summary>How long /readyz waits for one target before calling it unreachable.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    public static void Map(RouteGroupBuilder api, IEndpointRouteBuilder root)
    {
        api.MapGet("/status", StatusAsync).WithTags("status");
        api.MapGet("/objectives", ObjectivesAsync).WithTags("status");
        api.MapGet("/objectives/page", ObjectivesPageAsync).WithTags("status");
        root.MapGet("/healthz", () => Results.Ok(new { status = "live" })).AllowAnonymous().WithTags("health");
        root.MapGet("/readyz", ReadyAsync).AllowAnonymous().WithTags("health");
    }

    private static async Task<IResult> StatusAsync(
        CatalogStore catalog, PolicyScheduler scheduler, ObjectivesSnapshot objectives, RunTracker tracker, TimeProvider time, CancellationToken ct)
    {
        var policies = new List<PolicyStatusDto>();
        // The monitoring watchdog's last pass (null until its first): exposure is the policy's, i.e. its best target's.
        var report = objectives.Report;
        foreach (var policy in await catalog.ListPoliciesAsync(ct).ConfigureAwait(false))
        {
            var last = (await catalog.ListRunsAsync(policy.Name, 1, ct).ConfigureAwait(false)).FirstOrDefault();
            var rows = report?.Policies.FirstOrDefault(p => p.Policy == policy.Name)?.Targets;
            var exposure = rows?.Where(r => r.Exposure is not null).Min(r => r.Exposure);
            scheduler.States.TryGetValue(policy.Name, out var state);
            policies.Add(new PolicyStatusDto(
                policy.Name,
                await scheduler.NextFireAsync(policy.Name, RunKind.Backup, ct).ConfigureAwait(false),
                last?.Status.ToString().ToLowerInvariant(),
                last?.StartedAt,
                exposure?.TotalSeconds,
                policy.Rpo.TotalSeconds,
                rows is null ? null : exposure is null || exposure > policy.Rpo,
                state?.Problem));
        }

        var jobs = tracker.Jobs.Where(j => !j.IsFinished).OrderBy(j => j.QueuedAt).Select(JobDto.From).ToList();
        return Results.Ok(new StatusDto(Environment.MachineName, time.GetUtcNow(), policies, jobs));
    }

    /// <summary>What `drorch status --json` prints: RPO and RTO per policy and target over the last 30 days (one policy with ?policy=).</summary>
    private static async Task<IResult> ObjectivesAsync(ObjectivesService objectives, CancellationToken ct, string? policy = null)
    {
        try
        {
            var report = await objectives.GetAsync(ObjectivesService.Month, policy, ct).ConfigureAwait(false);
            return Results.Ok(report.Rows.Select(ObjectiveStatusInfo.From).ToList());
        }
        catch (PolicyNotFoundException ex)
        {
            return Problems.NotFound(ex.Message);
        }
    }

    /// <summary>The status page of `drorch status --html` (the page at / is every policy's).</summary>
    private static async Task<IResult> ObjectivesPageAsync(ObjectivesService objectives, CancellationToken ct, string? policy = null)
    {
        try
        {
            var report = await objectives.GetAsync(ObjectivesService.Month, policy, ct).ConfigureAwait(false);
            return Results.Content(StatusPage.Render(report), "text/html; charset=utf-8");
        }
        catch (PolicyNotFoundException ex)
        {
            return Problems.NotFound(ex.Message);
        }
    }

    private static async Task<IResult> ReadyAsync(CatalogStore catalog, TargetRegistry targets, CancellationToken ct)
    {
        CheckDto catalogCheck;
        try
        {
            var version = await catalog.GetPolicyVersionAsync(ct).ConfigureAwait(false);
            catalogCheck = new CheckDto("catalog", true, $"policy version {version}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            catalogCheck = new CheckDto("catalog", false, ex.GetBaseException().Message);
        }

        var checks = await Task.WhenAll(targets.Names.Order(StringComparer.Ordinal).Select(name => ProbeAsync(targets, name, ct))).ConfigureAwait(false);
        var ready = new ReadyDto(catalogCheck.Ok && checks.All(c => c.Ok), catalogCheck, checks);
        return Results.Json(ready, statusCode: ready.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<CheckDto> ProbeAsync(TargetRegistry targets, string name, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            var exists = await BackupRepository.ExistsAsync(targets.Open(name), timeout.Token).ConfigureAwait(false);
            return new CheckDto(name, true, exists ? "repository present" : "reachable, no repository yet");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new CheckDto(name, false, $"no answer within {ProbeTimeout.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is ObjectStoreException or RepositoryException or InvalidOperationException)
        {
            return new CheckDto(name, false, ex.Message);
        }
    }
}
