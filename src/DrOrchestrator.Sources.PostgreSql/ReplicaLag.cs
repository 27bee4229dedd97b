using System.Globalization;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Sources;
using Npgsql;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// <c>fromReplica</c>: the server must be a standby, and not further behind than
/// <c>maxReplicaLag</c>. Lag = 0 when the standby has replayed everything it received, else the
/// time since its last replayed transaction (an idle primary does not make a caught-up standby "late").
/// </summary>
internal static class ReplicaLag
{
    private const string Query = """
        SELECT pg_is_in_recovery(),
               CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                    ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END
        """;

    /// <exception cref="SourceFailedException">Not a standby, or lagging more than allowed.</exception>
    public static async Task EnsureWithinAsync(NpgsqlConnection connection, DatabaseSource source, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(Query, connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        if (!reader.GetBoolean(0))
        {
            throw new SourceFailedException($"source {source.Name}: fromReplica is set but the server is not a standby (it is not in recovery)");
        }

        var lag = TimeSpan.FromSeconds((double)reader.GetDecimal(1));
        if (source.MaxReplicaLag is { } max && lag > max)
        {
            throw new SourceFailedException(
                $"source {source.Name}: the standby is {lag.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s behind its primary, more than maxReplicaLag {PolicyDuration.Format(max)}; no snapshot was taken");
        }
    }
}
