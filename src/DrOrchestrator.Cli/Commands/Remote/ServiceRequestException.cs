namespace DrOrchestrator.Cli.Commands.Remote;

/// <summary>A request to the service failed: the lines to print and the exit code (2 for a refused input or key, 1 otherwise).</summary>
public sealed class ServiceRequestException(IReadOnlyList<string> lines, int exitCode) : Exception(lines.Count > 0 ? lines[0] : "request failed")
{
    public IReadOnlyList<string> Lines { get; } = lines;

    public int ExitCode { get; } = exitCode;
}
