using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Catalog.Entities;
using DrOrchestrator.Core.Policies;
using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog;

public sealed partial class CatalogStore
{
    /// <summary>Stores <paramref name="policy"/> in canonical form (<see cref="PolicySerializer"/>).</summary>
    public Task<PolicyChange> UpsertPolicyAsync(Policy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return UpsertPolicyAsync(policy, PolicySerializer.Serialize(policy), cancellationToken);
    }

    /// <summary>
    /// Creates or updates the policy named <c>policy.Name</c> with <paramref name="yaml"/> (its
    /// canonical text). <see cref="CatalogPolicy.AppliedAt"/> moves only when the text changed.
    /// </summary>
    public async Task<PolicyChange> UpsertPolicyAsync(Policy policy, string yaml, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(yaml);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(yaml)));
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var row = await db.Policies.SingleOrDefaultAsync(p => p.Name == policy.Name, cancellationToken).ConfigureAwait(false);
            PolicyChange change;
            if (row is null)
            {
                row = new PolicyEntity { Name = policy.Name, Yaml = yaml, YamlSha256 = hash, CreatedAt = Now };
                db.Policies.Add(row);
                change = PolicyChange.Created;
            }
            else if (row.YamlSha256 == hash)
            {
                return PolicyChange.Unchanged;
            }
            else
            {
                change = PolicyChange.Updated;
            }

            row.Yaml = yaml;
            row.YamlSha256 = hash;
            row.Description = policy.Description;
            row.RpoSeconds = (long)policy.Rpo.TotalSeconds;
            row.RtoSeconds = (long)policy.Rto.TotalSeconds;
            row.MinPrimaries = policy.MinPrimaries;
            row.AppliedAt = Now;
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            Log.PolicyUpserted(logger, policy.Name, change);
            return change;
        }
    }

    /// <summary>All policies, by name.</summary>
    public async Task<IReadOnlyList<CatalogPolicy>> ListPoliciesAsync(CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var rows = await db.Policies.AsNoTracking().OrderBy(p => p.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(ToRecord)];
        }
    }

    /// <summary>The policy called <paramref name="name"/>, or null.</summary>
    public async Task<CatalogPolicy?> GetPolicyAsync(string name, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var row = await db.Policies.AsNoTracking().SingleOrDefaultAsync(p => p.Name == name, cancellationToken).ConfigureAwait(false);
            return row is null ? null : ToRecord(row);
        }
    }

    /// <summary>Creates or updates a target's name, type and description.</summary>
    public async Task UpsertTargetAsync(CatalogTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var row = await db.Targets.SingleOrDefaultAsync(t => t.Name == target.Name, cancellationToken).ConfigureAwait(false);
            if (row is null)
            {
                row = new TargetEntity { Name = target.Name, Type = target.Type };
                db.Targets.Add(row);
            }

            if (row.Type != target.Type || row.Description != target.Description || db.Entry(row).State == EntityState.Added)
            {
                row.Type = target.Type;
                row.Description = target.Description;
                row.UpdatedAt = Now;
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>All targets, by name.</summary>
    public async Task<IReadOnlyList<CatalogTarget>> ListTargetsAsync(CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            return await db.Targets.AsNoTracking().OrderBy(t => t.Name)
                .Select(t => new CatalogTarget(t.Name, t.Type, t.Description))
                .ToListAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static CatalogPolicy ToRecord(PolicyEntity row) => new(
        row.Name,
        row.Description,
        row.Yaml,
        row.YamlSha256,
        TimeSpan.FromSeconds(row.RpoSeconds),
        TimeSpan.FromSeconds(row.RtoSeconds),
        row.MinPrimaries,
        row.CreatedAt,
        row.AppliedAt);
}
