namespace DrOrchestrator.Core.Repository;

internal enum NodeType : byte
{
    File = 1,
    Directory = 2,
    Symlink = 3,
}

/// <summary>
/// One entry of a directory listing. Mutable while a backup builds it; immutable once encoded.
/// <see cref="MTimeNs"/> is Unix time in nanoseconds; <see cref="Mode"/> holds the permission bits
/// (incl. setuid/setgid/sticky). <see cref="Inode"/>/<see cref="Device"/> serve change detection only.
/// </summary>
internal sealed class TreeNode
{
    public required string Name { get; set; }

    public NodeType Type { get; set; }

    public uint Mode { get; set; }

    public uint Uid { get; set; }

    public uint Gid { get; set; }

    public long MTimeNs { get; set; }

    public long Size { get; set; }

    public ulong Inode { get; set; }

    public ulong Device { get; set; }

    /// <summary>Symlink target, stored verbatim (never followed).</summary>
    public string? LinkTarget { get; set; }

    /// <summary>File content chunk ids, in order.</summary>
    public BlobId[] Content { get; set; } = [];

    /// <summary>SHA-256 of the whole file's plain content.</summary>
    public BlobId FileHash { get; set; }

    /// <summary>Tree blob id of a directory's listing.</summary>
    public BlobId Subtree { get; set; }

    public bool SameFileIdentity(TreeNode other) =>
        Type == NodeType.File && other.Type == NodeType.File
        && Size == other.Size && MTimeNs == other.MTimeNs && Inode == other.Inode && Device == other.Device;
}
