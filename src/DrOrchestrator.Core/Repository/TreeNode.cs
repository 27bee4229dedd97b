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
/// <summary>One extended attribute: its full name (e.g. <c>user.comment</c>) and raw value.</summary>
internal sealed record ExtendedAttribute(string Name, byte[] Value);

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

    /// <summary>
    /// Hard links to the file's inode at backup time (recorded when above 1). Files of one
    /// snapshot with <see cref="Links"/> above 1 and the same <see cref="Device"/> and
    /// <see cref="Inode"/> are one link group and are restored as links to one file.
    /// </summary>
    public uint Links { get; set; } = 1;

    /// <summary>The file had holes at backup time: the restore leaves its all-zero blocks unallocated.</summary>
    public bool Sparse { get; set; }

    /// <summary>
    /// Last status change (<c>st_ctime</c>, Unix ns) at backup time; 0 when unknown (trees written
    /// before it was recorded). Serves change detection only: an entry whose inode, device and
    /// ctime are unchanged has its parent node's extended attributes, so they are not read again.
    /// </summary>
    public long CTimeNs { get; set; }

    /// <summary>Extended attributes incl. POSIX ACLs (<c>system.posix_acl_*</c>), sorted by name.</summary>
    public IReadOnlyList<ExtendedAttribute> Xattrs { get; set; } = [];

    /// <summary>True when the node carries anything only tree version 2 can encode.</summary>
    public bool HasExtras => Links > 1 || Sparse || Xattrs.Count > 0 || CTimeNs != 0;

    /// <summary>
    /// Same inode of the same type, and its status has not changed since <paramref name="other"/>
    /// was recorded (ctime moves on any change of content, mode, owner, xattrs or ACLs); never
    /// true when either ctime is unknown.
    /// </summary>
    public bool SameInodeStatus(TreeNode other) =>
        CTimeNs != 0 && CTimeNs == other.CTimeNs && Type == other.Type && Inode == other.Inode && Device == other.Device;

    /// <summary>Owner, group, mode and extended attributes equal (what a metadata-only change alters).</summary>
    public bool SameMetadata(TreeNode other) =>
        Mode == other.Mode && Uid == other.Uid && Gid == other.Gid
        && (ReferenceEquals(Xattrs, other.Xattrs) || SameAttributes(Xattrs, other.Xattrs));

    // The record's own equality compares the value arrays by reference.
    private static bool SameAttributes(IReadOnlyList<ExtendedAttribute> a, IReadOnlyList<ExtendedAttribute> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (a[i].Name != b[i].Name || !a[i].Value.AsSpan().SequenceEqual(b[i].Value))
            {
                return false;
            }
        }

        return true;
    }

    public bool SameFileIdentity(TreeNode other) =>
        Type == NodeType.File && other.Type == NodeType.File
        && Size == other.Size && MTimeNs == other.MTimeNs && Inode == other.Inode && Device == other.Device;
}
