using DrOrchestrator.Core.Policies;
using DrOrchestrator.Sources.MySql;
using DrOrchestrator.Testing.Fixtures;
using DrOrchestrator.Testing.MariaDb;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Sources.Tests.MariaDb;

/// <summary>One private MariaDB server for every MariaDB source test.</summary>
public sealed class MariaDbFixture() : MariaDbCollectionFixture(PasswordVariable)
{
    public const string PasswordVariable = "DRORCH_TEST_SOURCE_MARIADB_PASSWORD";
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
