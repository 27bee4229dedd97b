namespace DrOrchestrator.Orchestration.Configuration;

/// <summary>Bad configuration: the message is one line naming the file, field and value.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
