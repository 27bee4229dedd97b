using System.Security.Claims;
using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Snapshots;
using DrOrchestrator.Server.Configuration;
using DrOrchestrator.Server.Security;
using DrOrchestrator.Server.Work;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Server.Api;

/// <summary>Trigger backup/copy/restore now, follow jobs (live progress), cancel them, read runs, fires and snapshots.</summary>
public static class WorkEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var policies = api.MapGroup("/policies").WithTags("work");
        policies.MapPost("/{name}/backup", BackupAsync);
        policies.MapPost("/{name}/copy", CopyAsync);
        policies.MapPost("/{name}/restore", RestoreAsync);
        policies.MapPost("/{name}/prune", PruneAsync).RequireAuthorization(ApiPolicies.Admin);

        var jobs = api.MapGroup("/jobs").WithTags("work");
        jobs.MapGet("/", (RunTracker tracker) => Results.Ok(tracker.Jobs.OrderBy(j => j.QueuedAt).Select(JobDto.From)));
        jobs.MapGet("/{id}", (string id, RunTracker tracker) =>
            tracker.Find(id) is { } job ? Results.Ok(JobDto.From(job)) : Problems.NotFound($"job '{id}' is not known"));
        jobs.MapPost("/{id}/cancel", (string id, IWorkQueue queue) =>
            queue.Cancel(id) ? Results.Accepted($"/api/jobs/{id}") : Problems.Conflict($"job '{id}' is not queued or running"));

        api.MapGet("/runs", async (CatalogStore catalog, CancellationToken ct, string? policy = null, int limit = 50) =>
            Results.Ok((await catalog.ListRunsAsync(policy, Math.Clamp(limit, 1, 1000), ct).ConfigureAwait(false)).Select(RunDto.From))).WithTags("work");
        api.MapGet("/fires", async (CatalogStore catalog, CancellationToken ct, string? policy = null) =>
            Results.Ok((await catalog.ListFiresAsync(policy, null, ct).ConfigureAwait(false)).Select(FireDto.From))).WithTags("work");
        api.MapGet("/snapshots", async (SnapshotListService listing, CancellationToken ct, string? policy = null, string? target = null) =>
            Results.Ok(await listing.ListAsync(policy, target, ct).ConfigureAwait(false))).WithTags("snapshots");
    }

    private static async Task<IResult> BackupAsync(string name, ClaimsPrincipal user, CatalogStore catalog, IWorkQueue queue, RunTracker tracker, CancellationToken ct)
    {
        if (await UnknownPolicyAsync(catalog, name, ct).ConfigureAwait(false) is { } unknown)
        {
            return unknown;
        }

        var id = queue.EnqueueBackup(name, null, Actor(user));
        return Results.Accepted($"/api/jobs/{id}", JobDto.From(tracker.Get(id)!));
    }

    private static async Task<IResult> CopyAsync(string name, ClaimsPrincipal user, CatalogStore catalog, IWorkQueue queue, RunTracker tracker, CancellationToken ct)
    {
        if (await UnknownPolicyAsync(catalog, name, ct).ConfigureAwait(false) is { } unknown)
        {
            return unknown;
        }

        var id = queue.EnqueueCopy(name, Actor(user));
        return Results.Accepted($"/api/jobs/{id}", JobDto.From(tracker.Get(id)!));
    }

    /// <summary>Prune deletes what retention no longer keeps: admin only (an operator may back up and restore, not remove).</summary>
    private static async Task<IResult> PruneAsync(string name, ClaimsPrincipal user, CatalogStore catalog, IWorkQueue queue, RunTracker tracker, CancellationToken ct)
    {
        if (await UnknownPolicyAsync(catalog, name, ct).ConfigureAwait(false) is { } unknown)
        {
            return unknown;
        }

        var id = queue.EnqueuePrune(name, null, Actor(user));
        return Results.Accepted($"/api/jobs/{id}", JobDto.From(tracker.Get(id)!));
    }

    /// <summary>
    /// 404 naming the policies that do exist, in the words the local commands use
    /// (<see cref="PolicyNotFoundException"/>), so `--server` and a local run fail alike.
    /// </summary>
    private static async Task<IResult?> UnknownPolicyAsync(CatalogStore catalog, string name, CancellationToken ct)
    {
        if (await catalog.GetPolicyAsync(name, ct).ConfigureAwait(false) is not null)
        {
            return null;
        }

        var known = await catalog.ListPoliciesAsync(ct).ConfigureAwait(false);
        return Problems.NotFound(new PolicyNotFoundException(name, [.. known.Select(p => p.Name)]).Message);
    }

    /// <summary>A restore writes only under Server:RestoreRoot: an API caller names a folder there, never an arbitrary path on the server.</summary>
    private static IResult RestoreAsync(
        string name, RestoreRequestDto request, ClaimsPrincipal user, IWorkQueue queue, RunTracker tracker, IConfiguration configuration, IOptions<ServerOptions> options)
    {
        if (string.IsNullOrWhiteSpace(request.Destination))
        {
            return Problems.BadRequest("destination: required (a folder under Server:RestoreRoot)");
        }

        var root = ConfigurationLoader.ResolvePath(configuration, options.Value.RestoreRoot);
        var destination = Path.GetFullPath(Path.Combine(root, request.Destination));
        if (!destination.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return Problems.BadRequest($"destination: '{request.Destination}' is outside Server:RestoreRoot");
        }

        var job = new RestoreJobRequest(name, request.SnapshotId, request.At, request.From, request.Include ?? [], destination, request.Overwrite);
        var id = queue.EnqueueRestore(job, Actor(user));
        return Results.Accepted($"/api/jobs/{id}", JobDto.From(tracker.Get(id)!));
    }

    private static string Actor(ClaimsPrincipal user) => user.Identity?.Name ?? "api";
}
