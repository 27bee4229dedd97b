using System.Security.Claims;
using System.Text;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Orchestration.Policies;
using DrOrchestrator.Server.Scheduling;
using DrOrchestrator.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DrOrchestrator.Server.Api;

/// <summary>/api/policies: list, get, validate, apply (admin), delete (admin), change history.</summary>
public static class PolicyEndpoints
{
    /// <summary>Policy files are small; a larger body is refused before it is parsed.</summary>
    public const int MaxPolicyBytes = 1 << 20;

    public static void Map(RouteGroupBuilder api)
    {
        var policies = api.MapGroup("/policies").WithTags("policies");
        policies.MapGet("/", ListAsync);
        policies.MapGet("/{name}", GetAsync);
        policies.MapGet("/{name}/changes", ChangesAsync);
        policies.MapPost("/validate", ValidateAsync);
        policies.MapPost("/", ApplyAsync).RequireAuthorization(ApiPolicies.Admin);
        policies.MapDelete("/{name}", DeleteAsync).RequireAuthorization(ApiPolicies.Admin);
    }

    private static async Task<IResult> ListAsync(CatalogStore catalog, PolicyScheduler scheduler, CancellationToken ct)
    {
        var result = new List<PolicyDto>();
        foreach (var stored in await catalog.ListPoliciesAsync(ct).ConfigureAwait(false))
        {
            result.Add(await DtoAsync(stored, scheduler, withYaml: false, ct).ConfigureAwait(false));
        }

        return Results.Ok(result);
    }

    private static async Task<IResult> GetAsync(string name, CatalogStore catalog, PolicyScheduler scheduler, CancellationToken ct) =>
        await catalog.GetPolicyAsync(name, ct).ConfigureAwait(false) is { } stored
            ? Results.Ok(await DtoAsync(stored, scheduler, withYaml: true, ct).ConfigureAwait(false))
            : Problems.NotFound($"policy '{name}' is not in the catalog");

    private static async Task<IResult> ChangesAsync(string name, CatalogStore catalog, CancellationToken ct, int limit = 50) =>
        Results.Ok((await catalog.ListPolicyChangesAsync(name, Math.Clamp(limit, 1, 1000), ct).ConfigureAwait(false)).Select(PolicyChangeDto.From));

    private static async Task<IResult> ValidateAsync(HttpRequest request, PolicyApplyService service, TimeProvider time, string? file = null)
    {
        var (result, problem) = await ParseAsync(request, service, time, file).ConfigureAwait(false);
        return problem ?? Results.Ok(new ValidatedPoliciesDto([.. result!.Policies.Select(p => p.Name)]));
    }

    private static async Task<IResult> ApplyAsync(HttpRequest request, ClaimsPrincipal user, PolicyApplyService service, TimeProvider time, CancellationToken ct, string? file = null)
    {
        var (result, problem) = await ParseAsync(request, service, time, file).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var applied = await service.ApplyAsync(result!, user.Identity?.Name ?? "api", ct).ConfigureAwait(false);
        return Results.Ok(new AppliedPoliciesDto([.. applied.Select(p => p.Name)]));
    }

    private static async Task<IResult> DeleteAsync(string name, ClaimsPrincipal user, CatalogStore catalog, CancellationToken ct) =>
        await catalog.DeletePolicyAsync(name, user.Identity?.Name ?? "api", ct).ConfigureAwait(false)
            ? Results.NoContent()
            : Problems.NotFound($"policy '{name}' is not in the catalog");

    /// <summary>
    /// Parses the body as a policy file named <paramref name="file"/> (default <c>request.yaml</c>)
    /// and checks that Quartz accepts every schedule; any problem refuses the whole body.
    /// </summary>
    private static async Task<(PolicyParseResult? Result, IResult? Problem)> ParseAsync(HttpRequest request, PolicyApplyService service, TimeProvider time, string? file)
    {
        var name = string.IsNullOrWhiteSpace(file) ? "request.yaml" : Path.GetFileName(file);
        if (request.ContentLength > MaxPolicyBytes)
        {
            return (null, Problems.BadRequest($"{name}: larger than {MaxPolicyBytes} bytes"));
        }

        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var yaml = await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
        var result = service.ValidateText(yaml, name);
        if (!result.IsValid)
        {
            return (null, Problems.InvalidPolicy(result.Problems));
        }

        var problems = new List<PolicyProblem>();
        foreach (var policy in result.Policies)
        {
            if (PolicyScheduler.Check(policy, time.GetUtcNow()) is { } refused)
            {
                problems.Add(new PolicyProblem(name, Problems.LineOf(yaml, refused.Field.Split('.')[0]), refused.Field, refused.Message));
            }
        }

        return problems.Count > 0 ? (null, Problems.InvalidPolicy(problems)) : (result, null);
    }

    private static async Task<PolicyDto> DtoAsync(CatalogPolicy stored, PolicyScheduler scheduler, bool withYaml, CancellationToken ct)
    {
        var next = await scheduler.NextFireAsync(stored.Name, RunKind.Backup, ct).ConfigureAwait(false);
        var problem = scheduler.States.TryGetValue(stored.Name, out var state) ? state.Problem : null;
        return PolicyDto.From(stored, stored.ToPolicy(), next, problem, withYaml);
    }
}
