using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DrOrchestrator.Core.Policies;

/// <summary>
/// Remembers where the last successfully parsed event ended. YamlDotNet sometimes fails with a
/// plain <see cref="InvalidOperationException"/> (no position) on malformed flow collections;
/// this gives the admin at least the line where parsing stopped.
/// </summary>
internal sealed class LineTrackingParser(IParser inner) : IParser
{
    public int LastLine { get; private set; } = 1;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        bool moved = inner.MoveNext();
        if (moved && inner.Current is { } current)
        {
            LastLine = (int)current.End.Line;
        }

        return moved;
    }
}
