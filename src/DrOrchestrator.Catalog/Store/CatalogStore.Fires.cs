using DrOrchestrator.Catalog.Entities;
using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog;

public sealed partial class CatalogStore
{
    /// <summary>
    /// Claims the fire of <paramref name="policyName"/>'s <paramref name="kind"/> trigger due at
    /// <paramref name="scheduledAt"/>: inserts its row with <paramref name="status"/> and returns
    /// its id, or null when a row for that instant exists already (another node or an earlier
    /// attempt claimed it). The unique index decides, so two concurrent claims cannot both win.
    /// </summary>
    public async Task<long?> TryClaimFireAsync(string policyName, RunKind kind, DateTimeOffset scheduledAt, FireStatus status, string? detail, CancellationToken cancellationToken) =>
        (await TryClaimFiresAsync([new FireClaim(policyName, kind, scheduledAt, status, detail)], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Claims many fires at once (a cron instant shared by many policies): one
    /// <c>INSERT … ON CONFLICT DO NOTHING RETURNING</c> per <see cref="ClaimChunk"/> claims, so a
    /// burst costs one commit instead of one per fire. Returns, per claim in order, the new row's
    /// id, or null when that instant was claimed already (also by an earlier claim in the list).
    /// A lost claim is not an error — no exception, nothing logged by EF — since losing the race
    /// is how a double fire or a second node is stopped.
    /// </summary>
    public async Task<IReadOnlyList<long?>> TryClaimFiresAsync(IReadOnlyList<FireClaim> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var ids = new long?[claims.Count];
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            bool sqlite = db.Database.IsSqlite();
            var connection = db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var recordedAt = Now;
            for (int start = 0; start < claims.Count; start += ClaimChunk)
            {
                // Each key once per statement (a duplicate in the list loses, like any later claim).
                var byKey = new Dictionary<(string, RunKind, DateTimeOffset), int>();
                await using var command = connection.CreateCommand();
                var sql = new System.Text.StringBuilder(
                    "INSERT INTO \"ScheduledFires\" (\"PolicyName\", \"Kind\", \"ScheduledAt\", \"RecordedAt\", \"Status\", \"Detail\") VALUES ");
                for (int i = start; i < Math.Min(claims.Count, start + ClaimChunk); i++)
                {
                    var claim = claims[i];
                    var key = (claim.PolicyName, claim.Kind, Normalize(claim.ScheduledAt));
                    if (!byKey.TryAdd(key, i))
                    {
                        continue;
                    }

                    int n = byKey.Count - 1;
                    sql.Append(n == 0 ? "" : ", ").Append(System.Globalization.CultureInfo.InvariantCulture, $"(@p{n}, @k{n}, @s{n}, @r, @t{n}, @d{n})");
                    AddParameter(command, $"@p{n}", claim.PolicyName);
                    AddParameter(command, $"@k{n}", Lower(claim.Kind));
                    AddParameter(command, $"@s{n}", TimeValue(key.Item3, sqlite));
                    AddParameter(command, $"@t{n}", Lower(claim.Status));
                    AddParameter(command, $"@d{n}", Truncate(claim.Detail, 1000));
                }

                AddParameter(command, "@r", TimeValue(recordedAt, sqlite));
                sql.Append(" ON CONFLICT DO NOTHING RETURNING \"Id\", \"PolicyName\", \"Kind\", \"ScheduledAt\"");
                command.CommandText = sql.ToString();
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var scheduledAt = sqlite ? (DateTimeOffset)Microseconds.ConvertFromProvider(reader.GetInt64(3))! : reader.GetFieldValue<DateTimeOffset>(3);
                        var key = (reader.GetString(1), Enum.Parse<RunKind>(reader.GetString(2), ignoreCase: true), Normalize(scheduledAt));
                        ids[byKey[key]] = reader.GetInt64(0);
                    }
                }
            }
        }

        return ids;
    }

    /// <summary>Claims per statement: 6 parameters each, far below SQLite's 32,766 and PostgreSQL's 65,535.</summary>
    public const int ClaimChunk = 500;

    private static string Lower<TEnum>(TEnum value) where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>A time as the provider stores it (see <see cref="CatalogDbContext"/>'s conventions): microseconds on SQLite, timestamptz on PostgreSQL.</summary>
    private static object TimeValue(DateTimeOffset value, bool sqlite) =>
        sqlite ? Microseconds.ConvertToProvider(value)! : value;

    private static readonly UtcMicrosecondsConverter Microseconds = new();

    private static void AddParameter(System.Data.Common.DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>Sets a fire's status (and job id / detail when given).</summary>
    public async Task UpdateFireAsync(long fireId, FireStatus status, string? jobId, string? detail, CancellationToken cancellationToken) =>
        await UpdateFiresAsync([new FireUpdate(fireId, status, jobId, detail)], cancellationToken).ConfigureAwait(false);

    /// <summary>Sets many fires' status, job id and detail (each when given) in one transaction; EF writes only the columns that changed.</summary>
    public async Task UpdateFiresAsync(IReadOnlyList<FireUpdate> updates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 0)
        {
            return;
        }

        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var ids = updates.Select(u => u.FireId).Distinct().ToList();
            var rows = await db.ScheduledFires.Where(f => ids.Contains(f.Id)).ToDictionaryAsync(f => f.Id, cancellationToken).ConfigureAwait(false);
            foreach (var update in updates)
            {
                var row = rows.GetValueOrDefault(update.FireId) ?? throw new CatalogException($"scheduled fire {update.FireId} is not in the catalog");
                row.Status = update.Status ?? row.Status;
                row.JobId = update.JobId ?? row.JobId;
                row.Detail = Truncate(update.Detail, 1000) ?? row.Detail;
            }

            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Makes each job the owner of its fire, as a compare-and-set (decisions §78): the job id is
    /// written where the fire has none yet or has that very job id, never over another job's.
    /// A job of a scheduled fire calls it when it starts, and whoever queued the job calls it to
    /// record the job id, so of two jobs queued for one fire (the watchdog re-queued a fire whose
    /// node died after the enqueue but before it recorded the job id, §74) exactly one owns it,
    /// whichever order the statements run in. One <c>UPDATE … FROM (VALUES …) RETURNING</c> per
    /// <see cref="ClaimChunk"/> pairs. Returns, per pair in order, whether that job owns the fire
    /// now (false also when the fire is not in the catalog). A fire appears at most once per call.
    /// </summary>
    public async Task<IReadOnlyList<bool>> TryOwnFiresAsync(IReadOnlyList<(long FireId, string JobId)> owners, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owners);
        var owned = new bool[owners.Count];
        if (owners.Count == 0)
        {
            return owned;
        }

        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var connection = db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            for (int start = 0; start < owners.Count; start += ClaimChunk)
            {
                var index = new Dictionary<long, int>();
                await using var command = connection.CreateCommand();
                var sql = new System.Text.StringBuilder("WITH \"Owners\" (\"Fire\", \"Job\") AS (VALUES ");
                for (int i = start; i < Math.Min(owners.Count, start + ClaimChunk); i++)
                {
                    var (fireId, jobId) = owners[i];
                    ArgumentException.ThrowIfNullOrEmpty(jobId);
                    if (!index.TryAdd(fireId, i))
                    {
                        throw new ArgumentException($"scheduled fire {fireId} is listed twice", nameof(owners));
                    }

                    int n = index.Count - 1;
                    sql.Append(n == 0 ? "" : ", ").Append(System.Globalization.CultureInfo.InvariantCulture, $"(@f{n}, @j{n})");
                    AddParameter(command, $"@f{n}", fireId);
                    AddParameter(command, $"@j{n}", jobId);
                }

                sql.Append(") UPDATE \"ScheduledFires\" SET \"JobId\" = \"Owners\".\"Job\" FROM \"Owners\"")
                    .Append(" WHERE \"ScheduledFires\".\"Id\" = \"Owners\".\"Fire\"")
                    .Append(" AND (\"ScheduledFires\".\"JobId\" IS NULL OR \"ScheduledFires\".\"JobId\" = \"Owners\".\"Job\")")
                    .Append(" RETURNING \"ScheduledFires\".\"Id\"");
                command.CommandText = sql.ToString();
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        owned[index[reader.GetInt64(0)]] = true;
                    }
                }
            }
        }

        return owned;
    }

    /// <summary>The compare-and-set of <see cref="TryOwnFiresAsync"/> for one job: true when <paramref name="jobId"/> owns the fire.</summary>
    public async Task<bool> TryOwnFireAsync(long fireId, string jobId, CancellationToken cancellationToken) =>
        (await TryOwnFiresAsync([(fireId, jobId)], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Opens a fire again for a new job: enqueued, and no job owns it (its job was lost with the
    /// in-memory queue of a process that stopped), so the new job can make it its own.
    /// </summary>
    public async Task ReopenFireAsync(long fireId, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            int rows = await db.ScheduledFires.Where(f => f.Id == fireId)
                .ExecuteUpdateAsync(s => s.SetProperty(f => f.Status, FireStatus.Enqueued).SetProperty(f => f.JobId, (string?)null), cancellationToken).ConfigureAwait(false);
            if (rows == 0)
            {
                throw new CatalogException($"scheduled fire {fireId} is not in the catalog");
            }
        }
    }

    /// <summary>Fires (of one policy, or all; optionally only in one status), oldest first.</summary>
    public async Task<IReadOnlyList<ScheduledFireRecord>> ListFiresAsync(string? policyName, FireStatus? status, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var query = db.ScheduledFires.AsNoTracking();
            if (policyName is not null)
            {
                query = query.Where(f => f.PolicyName == policyName);
            }

            if (status is not null)
            {
                query = query.Where(f => f.Status == status);
            }

            return await query.OrderBy(f => f.ScheduledAt).ThenBy(f => f.Id)
                .Select(f => new ScheduledFireRecord(f.Id, f.PolicyName, f.Kind, f.ScheduledAt, f.RecordedAt, f.Status, f.JobId, f.Detail))
                .ToListAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Fires claimed before <paramref name="claimedBefore"/> that are still enqueued without a job
    /// id: whoever claimed them stopped (or its queue failed) between the claim and the enqueue, so
    /// no job exists for them and nothing else would ever run them. Oldest first.
    /// </summary>
    public async Task<IReadOnlyList<ScheduledFireRecord>> ListStrandedFiresAsync(DateTimeOffset claimedBefore, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            return await db.ScheduledFires.AsNoTracking()
                .Where(f => f.Status == FireStatus.Enqueued && f.JobId == null && f.RecordedAt < claimedBefore)
                .OrderBy(f => f.ScheduledAt).ThenBy(f => f.Id)
                .Select(f => new ScheduledFireRecord(f.Id, f.PolicyName, f.Kind, f.ScheduledAt, f.RecordedAt, f.Status, f.JobId, f.Detail))
                .ToListAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Forgets finished fires (done or missed) due before <paramref name="before"/> — except each
    /// trigger's newest, from which the catch-up counts the due times it still has to judge
    /// (without it, a policy's whole history since its apply would be judged again). Open fires
    /// (enqueued, interrupted) stay whatever their age. Returns how many rows went.
    /// </summary>
    public async Task<int> ForgetFiresBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var cutoff = Normalize(before);
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            return await db.ScheduledFires
                .Where(f => (f.Status == FireStatus.Done || f.Status == FireStatus.Missed) && f.ScheduledAt < cutoff
                    && db.ScheduledFires.Any(newer => newer.PolicyName == f.PolicyName && newer.Kind == f.Kind && newer.ScheduledAt > f.ScheduledAt))
                .ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One fire by id, or null.</summary>
    public async Task<ScheduledFireRecord?> GetFireAsync(long fireId, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            return await db.ScheduledFires.AsNoTracking().Where(f => f.Id == fireId)
                .Select(f => new ScheduledFireRecord(f.Id, f.PolicyName, f.Kind, f.ScheduledAt, f.RecordedAt, f.Status, f.JobId, f.Detail))
                .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>When the newest recorded fire of the policy's trigger was due, or null.</summary>
    public async Task<DateTimeOffset?> GetLastFireAsync(string policyName, RunKind kind, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            return await db.ScheduledFires.Where(f => f.PolicyName == policyName && f.Kind == kind)
                .MaxAsync(f => (DateTimeOffset?)f.ScheduledAt, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string? Truncate(string? text, int max) => text is not null && text.Length > max ? text[..max] : text;
}
