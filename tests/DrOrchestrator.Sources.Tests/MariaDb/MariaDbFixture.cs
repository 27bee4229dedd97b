using DrOrchestrator.Core.Policies;
using DrOrchestrator.Sources.MySql;
using DrOrchestrator.Testing.MariaDb;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Sources.Tests.MariaDb;

/// <summary>One private MariaDB server for every MariaDB source test.</summary>
public sealed class MariaDbFixture : IAsyncLifetime
{
    public const string PasswordVariable = "DRORCH_TEST_SOURCE_MARIADB_PASSWORD";
    private MariaDbServer? _server;

    public MariaDbServer Server => _server ?? throw new InvalidOperationException("the MariaDB server has not started");

    public async Task InitializeAsync() => _server = await MariaDbServer.StartAsync(PasswordVariable);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public static MariaDbEngine Engine() =>
        new(Options.Create(new MariaDbSourceOptions { ConnectTimeout = TimeSpan.FromSeconds(5) }), NullLogger<MariaDbEngine>.Instance);

    public DatabaseSource Source(IReadOnlyList<string> databases, string name = "maria") =>
        new(DatabaseSource.MariaDbType, name, "127.0.0.1", Server.Port, null, MariaDbServer.User, databases, PasswordVariable, null, false, false, null, null);

    public string Reference(string database) => $"host=127.0.0.1 port={Server.Port} user={MariaDbServer.User} database={database}";
}

[CollectionDefinition(Name)]
public sealed class MariaDbCollection : ICollectionFixture<MariaDbFixture>
{
    public const string Name = "MariaDB source server";
}
