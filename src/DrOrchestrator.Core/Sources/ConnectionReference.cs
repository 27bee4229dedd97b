namespace DrOrchestrator.Core.Sources;

/// <summary>
/// A <c>--to-db</c> connection reference: whitespace-separated <c>key=value</c> pairs
/// (e.g. <c>host=127.0.0.1 port=5432 user=postgres database=orders_restored</c>). Keys are
/// case-insensitive, <c>username</c> means <c>user</c> and <c>dbname</c> means <c>database</c>.
/// A password is refused: the reference ends up in shell history, process listings and logs.
/// </summary>
public static class ConnectionReference
{
    /// <summary>The pairs, keys normalised to lower case and their canonical names.</summary>
    /// <param name="allowed">The canonical keys the engine understands.</param>
    /// <exception cref="DatabaseRestoreRefusedException">A pair without '=', an unknown key, a key given twice, or a password.</exception>
    public static Dictionary<string, string> Parse(string reference, IReadOnlyCollection<string> allowed, string example)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(allowed);
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in reference.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = eq > 0 ? pair[..eq].ToLowerInvariant() : "";
            key = key switch { "username" => "user", "dbname" => "database", _ => key };
            if (key is "password" or "passwd" or "pwd")
            {
                throw new DatabaseRestoreRefusedException("--to-db: a password does not go into the connection reference; pass --password-env VAR (or use the client's own password file)");
            }

            if (!allowed.Contains(key))
            {
                throw new DatabaseRestoreRefusedException(
                    $"--to-db: '{(key.Length > 0 ? key : pair)}' is not understood (expected {string.Join(' ', allowed.Select(a => a + "=…"))}, e.g. '{example}')");
            }

            if (!pairs.TryAdd(key, pair[(eq + 1)..]))
            {
                throw new DatabaseRestoreRefusedException($"--to-db: {key} is given twice");
            }
        }

        return pairs;
    }

    /// <summary>The port of <paramref name="pairs"/>, or <paramref name="fallback"/>.</summary>
    /// <exception cref="DatabaseRestoreRefusedException">Not a port number.</exception>
    public static int Port(Dictionary<string, string> pairs, int fallback)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (!pairs.TryGetValue("port", out var text))
        {
            return fallback;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new DatabaseRestoreRefusedException($"--to-db: port '{text}' is not a port number (1-65535)");
    }
}
