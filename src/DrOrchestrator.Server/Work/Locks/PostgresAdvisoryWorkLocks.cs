using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace DrOrchestrator.Server.Work.Locks;

/// <summary>
/// Cluster: PostgreSQL session advisory locks in the catalog's database, each held on its own
/// connection for as long as the claim lasts. PostgreSQL drops them with the session, so a node
/// that is killed releases its policies and target places as soon as its connections close; a
/// lock row in a table (Hangfire's own distributed lock) would stay until a timeout and, being
/// unrenewed, could be taken from a backup that is merely long.
/// </summary>
public sealed class PostgresAdvisoryWorkLocks(string connectionString) : IWorkLocks
{
    /// <summary>How often a waiting slot claim asks again (advisory locks cannot be waited on for one of several keys).</summary>
    public static readonly TimeSpan SlotPollInterval = TimeSpan.FromMilliseconds(500);

    // Pooling off: a pooled connection returned to the pool would keep its session, and its locks, alive.
    private readonly string _connectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = "drorch work lock" }.ToString();

    public async ValueTask<IAsyncDisposable?> TryAcquireAsync(string resource, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await TryLockAsync(connection, Key(resource), 0, cancellationToken).ConfigureAwait(false))
            {
                return new Held(connection);
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await connection.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    public async ValueTask<IAsyncDisposable> AcquireSlotAsync(string resource, int slots, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int key = Key(resource);
            while (true)
            {
                for (int slot = 0; slot < slots; slot++)
                {
                    if (await TryLockAsync(connection, key, slot, cancellationToken).ConfigureAwait(false))
                    {
                        return new Held(connection);
                    }
                }

                await Task.Delay(SlotPollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, int key, int slot, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key, @slot)", connection);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("slot", slot);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>A stable 32-bit key per resource name (the first four bytes of its SHA-256; string.GetHashCode differs per process).</summary>
    internal static int Key(string resource) =>
        BinaryPrimitives.ReadInt32BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("drorch:" + resource)));

    /// <summary>Closing the session releases every advisory lock it holds.</summary>
    private sealed class Held(NpgsqlConnection connection) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
