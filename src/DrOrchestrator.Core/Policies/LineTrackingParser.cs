using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DrOrchestrator.Core.Policies;

/// <summary>
/// Remembers where the last successfully parsed event ended. YamlDotNet sometimes fails with a
/// plain <see cref="InvalidOperationException"/> (no position) on malformed flow collections;
/// this gives the admin at least the line where parsing stopped. It also stops a document nested
/// deeper than <see cref="PolicyLimits.MaxDepth"/> before the representation model, which recurses
/// once per level, can overflow the stack (a 30,000-deep file killed the process with rc 134).
/// </summary>
internal sealed class LineTrackingParser(IParser inner) : IParser
{
    private int _depth;

    public int LastLine { get; private set; } = 1;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        bool moved = inner.MoveNext();
        if (moved && inner.Current is { } current)
        {
            LastLine = (int)current.End.Line;
            TrackDepth(current);
        }

        return moved;
    }

    private void TrackDepth(ParsingEvent current)
    {
        if (current is MappingStart or SequenceStart)
        {
            if (++_depth > PolicyLimits.MaxDepth)
            {
                throw new NestingTooDeepException(current.Start);
            }
        }
        else if (current is MappingEnd or SequenceEnd)
        {
            _depth--;
        }
    }
}

/// <summary>The document nests mappings and lists deeper than <see cref="PolicyLimits.MaxDepth"/>.</summary>
internal sealed class NestingTooDeepException(Mark start)
    : YamlException(start, start, $"nested deeper than {PolicyLimits.MaxDepth} levels (a policy needs at most 4)");
