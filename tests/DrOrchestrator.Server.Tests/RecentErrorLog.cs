using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Server.Tests;

/// <summary>
/// The last errors the in-process services logged, so that a test failing on a 500 shows the
/// exception behind it (the sandbox's console log is not captured by the test runner).
/// </summary>
internal sealed class RecentErrorLog : ILoggerProvider, ILogger
{
    private const int Kept = 20;
    private static readonly ConcurrentQueue<string> Entries = new();

    public static string Text => Entries.IsEmpty ? "(no error logged)" : string.Join('\n', Entries);

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        Entries.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel} {eventId.Id}: {formatter(state, exception)}{(exception is null ? "" : "\n" + exception)}");
        while (Entries.Count > Kept)
        {
            Entries.TryDequeue(out _);
        }
    }

    public void Dispose()
    {
    }
}
