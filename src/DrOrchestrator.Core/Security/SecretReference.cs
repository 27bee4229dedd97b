namespace DrOrchestrator.Core.Security;

/// <summary>
/// Names where a secret lives — an environment variable or a file — without holding its value.
/// The value is read only by <see cref="Resolve"/>, at run time; <see cref="ToString"/> shows the
/// reference, never the value, so a reference is safe in logs, the catalog and error messages.
/// </summary>
/// <remarks>When both are set the environment variable wins (handy for overriding a file in CI).</remarks>
public sealed record SecretReference(string? EnvironmentVariable, string? FilePath)
{
    /// <summary>Reads the secret. A file's single trailing newline ("\n" or "\r\n") is not part of it.</summary>
    /// <exception cref="SecretNotFoundException">The variable is unset/empty, or the file is missing/unreadable/empty.</exception>
    public string Resolve()
    {
        if (!string.IsNullOrEmpty(EnvironmentVariable))
        {
            var value = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (string.IsNullOrEmpty(value))
            {
                throw new SecretNotFoundException($"secret environment variable {EnvironmentVariable} is not set or empty");
            }

            return value;
        }

        if (!string.IsNullOrEmpty(FilePath))
        {
            string text;
            try
            {
                text = File.ReadAllText(FilePath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SecretNotFoundException($"secret file {FilePath} cannot be read: {e.Message}", e);
            }

            text = StripOneTrailingNewline(text);
            if (text.Length == 0)
            {
                throw new SecretNotFoundException($"secret file {FilePath} is empty");
            }

            return text;
        }

        throw new SecretNotFoundException("secret reference names neither an environment variable nor a file");
    }

    public override string ToString() =>
        !string.IsNullOrEmpty(EnvironmentVariable) ? $"env:{EnvironmentVariable}"
        : !string.IsNullOrEmpty(FilePath) ? $"file:{FilePath}"
        : "secret:(none)";

    private static string StripOneTrailingNewline(string text) =>
        text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2]
        : text.EndsWith('\n') ? text[..^1]
        : text;
}

/// <summary>A secret reference could not be resolved. The message names the variable or file, never a value.</summary>
public sealed class SecretNotFoundException : Exception
{
    public SecretNotFoundException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
