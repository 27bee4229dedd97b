using DrOrchestrator.Core.Sources;
using DrOrchestrator.Sources.Tests.Conformance;

namespace DrOrchestrator.Sources.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresSourceConformanceTests(PostgresFixture fixture) : BackupSourceConformanceTests
{
    protected override string ExpectedType => "postgres";

    protected override bool HasManifest => true;

    protected override async Task<IBackupSource> CreateSourceAsync() =>
        PostgresFixture.Engine().CreateSource(fixture.Source([await fixture.CreateSmallDatabaseAsync()]));
}
