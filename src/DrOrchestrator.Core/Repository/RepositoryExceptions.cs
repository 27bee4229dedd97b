namespace DrOrchestrator.Core.Repository;

/// <summary>Base of the repository engine's expected failures; every message is one line fit for a user.</summary>
public class RepositoryException : Exception
{
    public RepositoryException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>The store holds no repository (no <c>config</c> object).</summary>
public sealed class RepositoryNotFoundException : RepositoryException
{
    public RepositoryNotFoundException(string store)
        : base($"no repository at {store}: it has no config object (run init first)")
    {
    }
}

/// <summary>Init on a store that already holds a repository.</summary>
public sealed class RepositoryAlreadyExistsException : RepositoryException
{
    public RepositoryAlreadyExistsException(string store)
        : base($"a repository already exists at {store}")
    {
    }
}

/// <summary>No key file opens with the given key. Nothing was written.</summary>
public sealed class WrongRepositoryKeyException : RepositoryException
{
    public WrongRepositoryKeyException(string store)
        : base($"wrong repository key for {store}: no key in keys/ opens with it")
    {
    }
}

/// <summary>A snapshot id/prefix matched none or several snapshots.</summary>
public sealed class SnapshotNotFoundException : RepositoryException
{
    public SnapshotNotFoundException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Stored data failed authentication or parsing (tampering, bit rot, a foreign object).
/// The message names the object key (and blob id), plus affected files when the caller knows them.
/// </summary>
public sealed class RepositoryCorruptException : RepositoryException
{
    public RepositoryCorruptException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
