using DrOrchestrator.Testing.MariaDb;
using DrOrchestrator.Testing.Postgres;
using Xunit;

namespace DrOrchestrator.Testing.Fixtures;

/// <summary>
/// One private database server per test collection: started in <see cref="InitializeAsync"/>
/// (never assumed; a missing binary fails the collection loudly) and stopped with it. Each
/// collection names its own password variable, so two collections in one process never read
/// each other's server password. Five collections had a copy of this; hence the one xunit
/// reference of this project.
/// </summary>
public abstract class ServerFixture<TServer>(Func<string, Task<TServer>> start, Func<TServer, Task> stop, string passwordVariable) : IAsyncLifetime
    where TServer : class
{
    private TServer? _server;

    public TServer Server => _server ?? throw new InvalidOperationException($"the {typeof(TServer).Name} has not started");

    public async Task InitializeAsync() => _server = await start(passwordVariable).ConfigureAwait(false);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await stop(_server).ConfigureAwait(false);
        }
    }
}

/// <summary>A private PostgreSQL server for one test collection.</summary>
public abstract class PostgresCollectionFixture(string passwordVariable)
    : ServerFixture<PostgresServer>(PostgresServer.StartAsync, server => server.DisposeAsync(), passwordVariable);

/// <summary>A private MariaDB server for one test collection.</summary>
public abstract class MariaDbCollectionFixture(string passwordVariable)
    : ServerFixture<MariaDbServer>(MariaDbServer.StartAsync, server => server.DisposeAsync().AsTask(), passwordVariable);
