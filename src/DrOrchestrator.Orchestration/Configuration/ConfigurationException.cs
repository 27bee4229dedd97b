namespace DrOrchestrator.Orchestration.Configuration;

/// <summary>
/// Bad configuration: each problem is one line naming the file, field and value; the message is
/// the first.
/// </summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public ConfigurationException(IReadOnlyList<string> problems)
        : base(problems.Count > 0 ? problems[0] : "invalid configuration")
    {
        Problems = problems;
    }

    /// <summary>Every problem found, one line each.</summary>
    public IReadOnlyList<string> Problems { get; }
}
