using DrOrchestrator.Catalog;
using DrOrchestrator.Server.Configuration;
using DrOrchestrator.Server.Scheduling;
using DrOrchestrator.Server.Work;
using Hangfire;
using Hangfire.Logging;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;

namespace DrOrchestrator.Server.Tests.Cluster;

/// <summary>
/// On Hangfire.PostgreSql a burst's jobs are enqueued 25 to a database transaction (decisions §72):
/// a chunk whose enqueue fails leaves none of its jobs in the queue — also those created before
/// the failure — and every job that does exist is the one recorded on its fire.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class EnqueueChunkTests(PostgresServerFixture postgres)
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task A_chunk_whose_enqueue_fails_leaves_none_of_its_jobs_and_every_job_in_the_queue_is_on_its_fire()
    {
        // Hangfire's log provider is process-wide and is the last in-process host's, whose logger
        // factory may be disposed by now; this test runs no host, so it logs nowhere.
        LogProvider.SetCurrentLogProvider(new Hangfire.AspNetCore.AspNetCoreLogProvider(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));
        var database = await postgres.CreateDatabaseAsync("chunk");
        var options = new PostgreSqlStorageOptions { PrepareSchemaIfNecessary = true, EnableTransactionScopeEnlistment = true };
        var connection = ServerServiceCollectionExtensions.HangfireConnectionString(postgres.ConnectionStringWithPassword(database));
        var storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(connection, options), options);
        var queue = new StorageQueue(new BackgroundJobClient(storage)) { FailFor = "p20" };

        var due = new DateTimeOffset(2027, 5, 1, 3, 0, 0, TimeSpan.Zero);
        await using var harness = await SchedulingHarness.CreateAsync(due.AddSeconds(1), graceSeconds: 60);
        harness.Options = Microsoft.Extensions.Options.Options.Create(new ServerOptions { MisfireGraceSeconds = 60, WorkStorage = WorkStorage.Postgres });
        var names = Enumerable.Range(0, 40).Select(i => $"p{i:D2}").ToList();
        foreach (var name in names)
        {
            await harness.ApplyAsync(TestPolicies.Yaml(name, "/srv", "0 0 3 * * ?"));
        }

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Handler(queue).HandleAsync([.. names.Select(n => new DueFire(n, RunKind.Backup, due))], Ct));

        Assert.Equal("enqueue of p20 failed (test)", failure.Message);
        var fires = await harness.Catalog.ListFiresAsync(null, null, Ct);
        Assert.Equal(names.Count, fires.Count);
        var monitoring = storage.GetMonitoringApi();
        var queued = monitoring.EnqueuedJobs("default", 0, 1000).Select(j => j.Key).ToHashSet();
        // p00–p24 are one chunk: the 20 jobs created before p20 failed were rolled back with it.
        Assert.True(queue.Created.Count(c => string.CompareOrdinal(c.Policy, "p20") < 0) == 20, "p00–p19 were created inside the failing chunk");
        Assert.All(queue.Created.Where(c => string.CompareOrdinal(c.Policy, "p25") < 0), c => Assert.DoesNotContain(c.JobId, queued));
        Assert.All(fires.Where(f => string.CompareOrdinal(f.PolicyName, "p25") < 0), f => Assert.Null(f.JobId));
        // What the queue holds is exactly what the fires record (p25–p39's chunk, when it ran before the failure stopped the batch).
        Assert.Equal(queued.Order(StringComparer.Ordinal), fires.Where(f => f.JobId is not null).Select(f => f.JobId!).Order(StringComparer.Ordinal));
        Assert.Equal(queued.Count, monitoring.EnqueuedCount("default"));
    }

    /// <summary>Real Hangfire.PostgreSql enqueues; the backup of <see cref="FailFor"/> throws.</summary>
    private sealed class StorageQueue(IBackgroundJobClient client) : IWorkQueue
    {
        public string? FailFor { get; init; }

        public System.Collections.Concurrent.ConcurrentBag<(string Policy, string JobId)> Created { get; } = [];

        public string EnqueueBackup(string policy, long? fireId, string requestedBy)
        {
            if (policy == FailFor)
            {
                throw new InvalidOperationException($"enqueue of {policy} failed (test)");
            }

            var id = client.Enqueue(() => NoOp(policy));
            Created.Add((policy, id));
            return id;
        }

        public static void NoOp(string policy) => GC.KeepAlive(policy);

        public string EnqueueCopy(string policy, string requestedBy) => throw new NotSupportedException();

        public string EnqueueDrill(string policy, long? fireId, string requestedBy) => throw new NotSupportedException();

        public string EnqueuePrune(string policy, long? fireId, string requestedBy) => throw new NotSupportedException();

        public string EnqueueRestore(RestoreJobRequest request, string requestedBy) => throw new NotSupportedException();

        public bool Cancel(string jobId) => false;
    }
}
