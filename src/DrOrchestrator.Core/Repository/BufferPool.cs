using System.Buffers;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// One process-wide pool for chunk-sized buffers (up to 64 MiB, the largest allowed chunk), so
/// consecutive runs reuse the same arrays instead of leaving large-object-heap garbage behind.
/// The engines bound how many buffers are in flight (bounded channels), which bounds the pool.
/// </summary>
internal static class BufferPool
{
    public static readonly ArrayPool<byte> Shared = ArrayPool<byte>.Create(maxArrayLength: 128 * 1024 * 1024, maxArraysPerBucket: 16);
}
