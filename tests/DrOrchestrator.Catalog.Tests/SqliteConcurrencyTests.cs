using DrOrchestrator.Catalog.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog.Tests;

/// <summary>The CLI and a server write one SQLite file at once: no write may fail with SQLITE_BUSY.</summary>
public sealed class SqliteConcurrencyTests : IDisposable
{
    private readonly TempSqliteFile _file = new();

    [Fact]
    public async Task Two_processes_worth_of_writers_share_one_file()
    {
        await using var cli = await CatalogHarness.CreateAsync(_file.Settings());
        await using var server = await CatalogHarness.CreateAsync(_file.Settings(), migrate: false);
        await cli.Store.UpsertPolicyAsync(TestPolicies.Home(), CancellationToken.None);

        var writes = Enumerable.Range(0, 40).Select(async i =>
        {
            var store = i % 2 == 0 ? cli.Store : server.Store;
            long id = await store.StartRunAsync("home", RunKind.Backup, CancellationToken.None);
            await store.CompleteRunAsync(id, RunStatus.Succeeded, new RunFigures(i, 0, 0, 1, 0), [], null, CancellationToken.None);
        });
        await Task.WhenAll(writes);

        await using var db = server.Db();
        Assert.Equal(40, await db.Runs.CountAsync(r => r.Status == RunStatus.Succeeded));
        Assert.Equal(Enumerable.Range(0, 40).Sum(), await db.Runs.SumAsync(r => r.BytesRead));
    }

    public void Dispose() => _file.Dispose();
}
