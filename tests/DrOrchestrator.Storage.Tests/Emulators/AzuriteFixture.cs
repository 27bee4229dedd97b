using System.Globalization;
using DrOrchestrator.Storage.AzureBlob;

namespace DrOrchestrator.Storage.Tests.Emulators;

/// <summary>
/// Azurite 3.37 (blob service only) for a test collection. Azure.Storage.Blobs 12.30.1 sends a newer
/// API version than Azurite accepts, hence --skipApiVersionCheck; CRC64 transfer validation is
/// stored framed by Azurite, so stores here use MD5 upload checksums.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    /// <summary>Azurite's public, well-known development account (not a secret).</summary>
    public const string Account = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>
    /// The connection string is handed to the store through this environment variable. One name per
    /// fixture instance: two collections of one assembly may each run an Azurite at once, and a shared
    /// process-wide name would let one point the other's stores at the wrong server.
    /// </summary>
    public string ConnectionStringVariable { get; } = $"DRORCH_TEST_AZURITE_CONNECTION_STRING_{Guid.NewGuid():N}";

    public EmulatorProcess Server { get; } = new(
        "azurite",
        Path.Combine("azurite", "dist", "src", "blob", "main.js"),
        (port, data) =>
        [
            "--blobHost", "127.0.0.1", "--blobPort", port.ToString(CultureInfo.InvariantCulture), "--location", data,
            "--skipApiVersionCheck", "--disableTelemetry", "--silent",
        ]);

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{Server.Port}/{Account};";

    public AzureBlobTargetOptions OptionsFor(string container, string prefix = "") => new()
    {
        Container = container,
        Prefix = prefix,
        ConnectionStringEnvironmentVariable = ConnectionStringVariable,
        UploadChecksum = "MD5",
    };

    /// <summary>A store on <paramref name="container"/>, creating the container if needed.</summary>
    public async Task<AzureBlobObjectStore> CreateStoreAsync(string container, string prefix = "")
    {
        var store = AzureBlobObjectStore.Create(OptionsFor(container, prefix));
        await store.EnsureContainerAsync(CancellationToken.None);
        return store;
    }

    public Task StopAsync() => Server.StopAsync();

    public Task StartAsync() => Server.StartAsync();

    public async Task InitializeAsync()
    {
        await Server.StartAsync();
        Environment.SetEnvironmentVariable(ConnectionStringVariable, ConnectionString);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite";
}
