using System.Text;

namespace DrOrchestrator.Core.Security;

/// <summary>
/// The user secret that opens a repository (a passphrase). It is stretched with PBKDF2 into a
/// key-encryption key that unwraps the repository's random master key (see Repository/FORMAT.md).
/// Never printed: <see cref="ToString"/> is "RepositoryKey(***)".
/// </summary>
public sealed class RepositoryKey
{
    private readonly byte[] _secret;

    private RepositoryKey(byte[] secret) => _secret = secret;

    /// <summary>Resolves the reference now (env var or file) and keeps the value for this process.</summary>
    public static RepositoryKey FromSecret(SecretReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return FromPassphrase(reference.Resolve());
    }

    public static RepositoryKey FromPassphrase(string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        if (passphrase.Length == 0)
        {
            throw new ArgumentException("repository passphrase must not be empty", nameof(passphrase));
        }

        return new RepositoryKey(Encoding.UTF8.GetBytes(passphrase));
    }

    /// <summary>The passphrase bytes (UTF-8) for key derivation. Internal: never leaves Core.</summary>
    internal ReadOnlySpan<byte> SecretBytes => _secret;

    public override string ToString() => "RepositoryKey(***)";
}
