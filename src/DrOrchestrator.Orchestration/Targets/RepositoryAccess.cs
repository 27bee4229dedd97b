using DrOrchestrator.Core.Check;
using DrOrchestrator.Core.Configuration;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Orchestration.Configuration;
using Microsoft.Extensions.Configuration;

namespace DrOrchestrator.Orchestration.Targets;

/// <summary>
/// Opens the repository on a configured target with the right key. The key is resolved from
/// the target's own <c>RepositoryKey</c> reference, else the top-level one — at the moment of
/// use, so a rotated key file is picked up and the key never sits in configuration objects.
/// </summary>
public sealed class RepositoryAccess
{
    private readonly TargetRegistry _targets;
    private readonly IConfiguration _configuration;

    public RepositoryAccess(TargetRegistry targets, IConfiguration configuration)
    {
        _targets = targets;
        _configuration = configuration;
    }

    public TargetRegistry Targets => _targets;

    public SecretReference KeyReferenceFor(string targetName)
    {
        var own = _targets.Get(targetName).RepositoryKey;
        var options = own is { IsEmpty: false } ? own : _configuration.GetSection("RepositoryKey").Get<SecretReferenceOptions>();
        if (options is null || options.IsEmpty)
        {
            throw new ConfigurationException(
                $"{ConfigurationFile.FileName(_configuration)}: RepositoryKey: no key reference for target '{targetName}' (set RepositoryKey:EnvironmentVariable or RepositoryKey:File)");
        }

        var file = string.IsNullOrWhiteSpace(options.File) ? null : ConfigurationFile.ResolvePath(_configuration, options.File);
        return new SecretReference(string.IsNullOrWhiteSpace(options.EnvironmentVariable) ? null : options.EnvironmentVariable, file);
    }

    /// <summary>
    /// Creates the target's key file with a new random key when the configuration names a file
    /// that does not exist yet (the first run of the embedded default); the file is readable by
    /// its owner only. Returns the file created, or null when there was nothing to do.
    /// </summary>
    public string? CreateKeyFileIfMissing(string targetName)
    {
        var reference = KeyReferenceFor(targetName);
        if (reference.EnvironmentVariable is not null || reference.FilePath is not { } file || File.Exists(file))
        {
            return null;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        RepositoryKeyFile.CreateNew(file);
        return file;
    }

    public RepositoryKey KeyFor(string targetName) => RepositoryKey.FromSecret(KeyReferenceFor(targetName));

    /// <summary>The local index cache the <c>IndexCache</c> section names (docs/decisions.md §24), or null when it is off.</summary>
    public IndexCacheOptions? IndexCache() => IndexCacheSettings.Read(_configuration);

    /// <summary>Opens an existing repository; a clear error when there is none or the key is wrong.</summary>
    public async Task<BackupRepository> OpenAsync(string targetName, CancellationToken cancellationToken)
    {
        var store = _targets.Open(targetName);
        return await BackupRepository.OpenAsync(store, KeyFor(targetName), IndexCache(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens an existing repository for reading only (listing, restore, drill): writes are refused.</summary>
    public async Task<BackupRepository> OpenReadOnlyAsync(string targetName, CancellationToken cancellationToken)
    {
        var store = _targets.OpenReadOnly(targetName);
        return await BackupRepository.OpenAsync(store, KeyFor(targetName), IndexCache(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens for reading only and reads every index object, whatever the local index cache holds:
    /// <c>check</c> judges the repository's own objects, not a copy of what they once said.
    /// </summary>
    public async Task<BackupRepository> OpenForCheckAsync(string targetName, CancellationToken cancellationToken)
    {
        // A metadata object that does not decode is read again before it is called damaged (issue 19 item 3).
        var store = new RereadingObjectStore(_targets.OpenReadOnly(targetName));
        return await BackupRepository.OpenAsync(store, KeyFor(targetName), indexCache: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens the repository, initialising it on first use (the first backup to a new target).</summary>
    public Task<BackupRepository> OpenOrInitAsync(string targetName, CancellationToken cancellationToken) =>
        OpenOrInitAsync(_targets.Open(targetName), KeyFor(targetName), cancellationToken);

    public async Task<BackupRepository> OpenOrInitAsync(IObjectStore store, RepositoryKey key, CancellationToken cancellationToken)
    {
        try
        {
            // The open reads the config anyway and says when there is none: no separate existence probe.
            return await BackupRepository.OpenAsync(store, key, IndexCache(), cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryNotFoundException)
        {
            // One init per target in this process: a service's first backup and its system record
            // (or two policies) reaching a fresh target at once would otherwise both create a master
            // key, and the one whose config lost would write data nobody can read.
            var gate = InitGates.GetOrAdd(store.Description, _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await BackupRepository.ExistsAsync(store, cancellationToken).ConfigureAwait(false)
                    ? await BackupRepository.OpenAsync(store, key, IndexCache(), cancellationToken).ConfigureAwait(false)
                    : await BackupRepository.InitAsync(store, key, InitOptions(), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> InitGates = new(StringComparer.Ordinal);

    /// <summary>
    /// Parameters for repositories created from now on (<c>Repository:</c> section: ChunkMinSize,
    /// ChunkAverageSize, ChunkMaxSize, CompressionLevel, PackSize). An existing repository keeps
    /// the parameters stored in its own config.
    /// </summary>
    public RepositoryInitOptions InitOptions()
    {
        var options = _configuration.GetSection("Repository").Get<RepositoryInitOptions>() ?? new RepositoryInitOptions();
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException($"{ConfigurationFile.FileName(_configuration)}: Repository: {ex.Message}", ex);
        }

        return options;
    }
}
