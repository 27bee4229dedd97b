using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Server.Configuration;

namespace DrOrchestrator.Server.Security;

/// <summary>A configured key as the service keeps it: name, role, SHA-256 of the key — never the key.</summary>
public sealed record ApiKeyEntry(string Name, ApiRole Role, byte[] Hash);

/// <summary>
/// The API keys, hashed at start-up (from an environment variable, a file, or given as a hash).
/// A presented key is hashed and compared with every entry in fixed time, so neither the
/// comparison nor which entry matched leaks through timing.
/// </summary>
public sealed class ApiKeyStore
{
    private readonly IReadOnlyList<ApiKeyEntry> _entries;

    public ApiKeyStore(IReadOnlyList<ApiKeyEntry> entries) => _entries = entries;

    public int Count => _entries.Count;

    /// <exception cref="ConfigurationException">A key's variable or file is missing or empty (named, value never shown).</exception>
    public static ApiKeyStore Load(IEnumerable<ApiKeyOptions> keys, Func<string, string> resolvePath)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(resolvePath);
        var entries = new List<ApiKeyEntry>();
        foreach (var key in keys)
        {
            byte[] hash;
            if (key.Sha256 is { } hex)
            {
                hash = Convert.FromHexString(hex);
            }
            else if (key.EnvironmentVariable is { } variable)
            {
                var value = Environment.GetEnvironmentVariable(variable);
                hash = string.IsNullOrWhiteSpace(value)
                    ? throw new ConfigurationException($"API key '{key.Name}': environment variable {variable} is not set")
                    : Hash(value.Trim());
            }
            else
            {
                var path = resolvePath(key.File!);
                hash = File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } text
                    ? Hash(text)
                    : throw new ConfigurationException($"API key '{key.Name}': file {path} is missing or empty");
            }

            entries.Add(new ApiKeyEntry(key.Name, key.Role, hash));
        }

        return new ApiKeyStore(entries);
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The entry whose key is <paramref name="presented"/>, or null. Every entry is compared.</summary>
    public ApiKeyEntry? Find(string presented)
    {
        var hash = Hash(presented);
        ApiKeyEntry? match = null;
        foreach (var entry in _entries)
        {
            if (CryptographicOperations.FixedTimeEquals(entry.Hash, hash))
            {
                match = entry;
            }
        }

        return match;
    }
}
