using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Catalog.Entities;
using DrOrchestrator.Core.Policies;
using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog;

public sealed partial class CatalogStore
{
    /// <summary>Who changed a policy when no API key did: the command line.</summary>
    public const string CliActor = "cli";

    /// <summary>Stores <paramref name="policy"/> in canonical form (<see cref="PolicySerializer"/>).</summary>
    public Task<PolicyChange> UpsertPolicyAsync(Policy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return UpsertPolicyAsync(policy, PolicySerializer.Serialize(policy), cancellationToken);
    }

    /// <summary>As <see cref="UpsertPolicyAsync(Policy, string, string, CancellationToken)"/>, recorded as changed by <c>cli</c>.</summary>
    public Task<PolicyChange> UpsertPolicyAsync(Policy policy, string yaml, CancellationToken cancellationToken) =>
        UpsertPolicyAsync(policy, yaml, CliActor, cancellationToken);

    /// <summary>
    /// Creates or updates the policy named <c>policy.Name</c> with <paramref name="yaml"/> (its
    /// canonical text). <see cref="CatalogPolicy.AppliedAt"/> moves only when the text changed;
    /// every change is recorded in the same transaction (<see cref="ListPolicyChangesAsync"/>)
    /// with <paramref name="changedBy"/> and the text before and after. A deleted policy of the
    /// same name comes back as created.
    /// </summary>
    public async Task<PolicyChange> UpsertPolicyAsync(Policy policy, string yaml, string changedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(yaml);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(yaml)));
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var row = await db.Policies.SingleOrDefaultAsync(p => p.Name == policy.Name, cancellationToken).ConfigureAwait(false);
            PolicyChange change;
            string? before = row?.DeletedAt is null ? row?.Yaml : null;
            if (row is null)
            {
                row = new PolicyEntity { Name = policy.Name, Yaml = yaml, YamlSha256 = hash, CreatedAt = Now };
                db.Policies.Add(row);
                change = PolicyChange.Created;
            }
            else if (row.DeletedAt is not null)
            {
                row.DeletedAt = null;
                row.CreatedAt = Now;
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

            db.PolicyChanges.Add(new PolicyChangeEntity
            {
                PolicyName = policy.Name,
                Kind = change == PolicyChange.Created ? PolicyChangeKind.Created : PolicyChangeKind.Updated,
                ChangedAt = Now,
                ChangedBy = changedBy,
                YamlBefore = before,
                YamlAfter = yaml,
            });

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
        return await ReadPoliciesAsync(name: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The policy called <paramref name="name"/>, or null.</summary>
    public async Task<CatalogPolicy?> GetPolicyAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        var rows = await ReadPoliciesAsync(name, cancellationToken).ConfigureAwait(false);
        return rows.Count switch
        {
            0 => null,
            1 => rows[0],
            _ => throw new InvalidOperationException($"the catalog holds {rows.Count} live policies named '{name}'"),
        };
    }

    /// <summary>
    /// Deletes the policy: it is no longer listed, fetched or scheduled, while its runs and
    /// snapshots keep their history. Recorded like any change. False when there was no such policy.
    /// </summary>
    public async Task<bool> DeletePolicyAsync(string name, string changedBy, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var row = await db.Policies.SingleOrDefaultAsync(p => p.Name == name && p.DeletedAt == null, cancellationToken).ConfigureAwait(false);
            if (row is null)
            {
                return false;
            }

            row.DeletedAt = Now;
            db.PolicyChanges.Add(new PolicyChangeEntity
            {
                PolicyName = name, Kind = PolicyChangeKind.Deleted, ChangedAt = Now, ChangedBy = changedBy, YamlBefore = row.Yaml, YamlAfter = null,
            });
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
    }

    /// <summary>The newest <paramref name="limit"/> policy changes (of one policy, or all), newest first.</summary>
    public async Task<IReadOnlyList<PolicyChangeRecord>> ListPolicyChangesAsync(string? policyName, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var query = db.PolicyChanges.AsNoTracking();
            if (policyName is not null)
            {
                query = query.Where(c => c.PolicyName == policyName);
            }

            return await query.OrderByDescending(c => c.Id).Take(limit)
                .Select(c => new PolicyChangeRecord(c.Id, c.PolicyName, c.Kind, c.ChangedAt, c.ChangedBy, c.YamlBefore, c.YamlAfter))
                .ToListAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A number that grows with every policy change (the newest change's id; 0 before any): a
    /// running service polls it, one indexed read, and reloads the policies only when it moved.
    /// </summary>
    public async Task<long> GetPolicyVersionAsync(CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            return await db.PolicyChanges.MaxAsync(c => (long?)c.Id, cancellationToken).ConfigureAwait(false) ?? 0;
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

    /// <summary>
    /// The live policies (one by name, or all), ordered by name: plain ADO, since every command
    /// that acts on a policy reads it first (docs/decisions.md §68).
    /// </summary>
    private async Task<List<CatalogPolicy>> ReadPoliciesAsync(string? name, CancellationToken cancellationToken)
    {
        var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var sql = """
                SELECT "Name", "Description", "Yaml", "YamlSha256", "RpoSeconds", "RtoSeconds", "MinPrimaries", "CreatedAt", "AppliedAt"
                FROM "Policies" WHERE "DeletedAt" IS NULL
                """ + (name is null ? "" : " AND \"Name\" = @name") + " ORDER BY \"Name\"";
            var command = name is null ? CatalogConnections.Command(connection, null, sql) : CatalogConnections.Command(connection, null, sql, ("@name", name));
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var policies = new List<CatalogPolicy>();
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        policies.Add(new CatalogPolicy(
                            reader.GetString(0),
                            reader.IsDBNull(1) ? null : reader.GetString(1),
                            reader.GetString(2),
                            reader.GetString(3),
                            TimeSpan.FromSeconds(reader.GetInt64(4)),
                            TimeSpan.FromSeconds(reader.GetInt64(5)),
                            reader.GetInt32(6),
                            connections.ReadTime(reader, 7),
                            connections.ReadTime(reader, 8)));
                    }

                    return policies;
                }
            }
        }
    }
}
