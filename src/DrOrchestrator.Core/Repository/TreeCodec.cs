using System.Text;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// Binary encoding of a directory listing (a Tree blob). Nodes are sorted by name (ordinal,
/// UTF-16 code units), so equal directories encode to equal bytes and dedup to one blob.
/// <code>
/// tree  := version u8 (=1) | count varint | node*
/// node  := name str | type u8 | mode varint | uid varint | gid varint | mtime_ns i64 LE | size varint
///          | inode u64 LE | device u64 LE | rest
/// rest  := file: sha256 [32] | chunk count varint | chunk id [32]*
///        | dir: subtree id [32]
///        | symlink: target str
/// str   := byte length varint | UTF-8 bytes (any characters incl. newlines)
/// </code>
/// </summary>
internal static class TreeCodec
{
    public static byte[] Encode(IReadOnlyList<TreeNode> nodes)
    {
        using var ms = new MemoryStream(64 + (nodes.Count * 96));
        using var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true);
        w.Write((byte)1);
        w.Write7BitEncodedInt(nodes.Count);
        Span<byte> id = stackalloc byte[BlobId.Size];
        foreach (var n in nodes)
        {
            w.Write(n.Name);
            w.Write((byte)n.Type);
            w.Write7BitEncodedInt64(n.Mode);
            w.Write7BitEncodedInt64(n.Uid);
            w.Write7BitEncodedInt64(n.Gid);
            w.Write(n.MTimeNs);
            w.Write7BitEncodedInt64(n.Size);
            w.Write(n.Inode);
            w.Write(n.Device);
            switch (n.Type)
            {
                case NodeType.File:
                    n.FileHash.WriteTo(id);
                    w.Write(id);
                    w.Write7BitEncodedInt(n.Content.Length);
                    foreach (var c in n.Content)
                    {
                        c.WriteTo(id);
                        w.Write(id);
                    }

                    break;
                case NodeType.Directory:
                    n.Subtree.WriteTo(id);
                    w.Write(id);
                    break;
                default:
                    w.Write(n.LinkTarget ?? "");
                    break;
            }
        }

        w.Flush();
        return ms.ToArray();
    }

    /// <exception cref="FormatException">Malformed or unknown version.</exception>
    public static List<TreeNode> Decode(byte[] data)
    {
        try
        {
            return DecodeCore(data);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or OverflowException)
        {
            throw new FormatException($"tree is malformed: {e.Message}", e);
        }
    }

    private static List<TreeNode> DecodeCore(byte[] data)
    {
        using var r = new BinaryReader(new MemoryStream(data, writable: false), Encoding.UTF8);
        if (r.ReadByte() != 1)
        {
            throw new FormatException("tree has an unknown version");
        }

        var count = r.Read7BitEncodedInt();
        var nodes = new List<TreeNode>(Math.Min(count, 1 << 16));
        Span<byte> id = stackalloc byte[BlobId.Size];
        for (var i = 0; i < count; i++)
        {
            var n = new TreeNode { Name = r.ReadString() };
            n.Type = (NodeType)r.ReadByte();
            n.Mode = checked((uint)r.Read7BitEncodedInt64());
            n.Uid = checked((uint)r.Read7BitEncodedInt64());
            n.Gid = checked((uint)r.Read7BitEncodedInt64());
            n.MTimeNs = r.ReadInt64();
            n.Size = r.Read7BitEncodedInt64();
            n.Inode = r.ReadUInt64();
            n.Device = r.ReadUInt64();
            switch (n.Type)
            {
                case NodeType.File:
                    ReadId(r, id);
                    n.FileHash = new BlobId(id);
                    var chunks = r.Read7BitEncodedInt();
                    var content = new BlobId[chunks];
                    for (var c = 0; c < chunks; c++)
                    {
                        ReadId(r, id);
                        content[c] = new BlobId(id);
                    }

                    n.Content = content;
                    break;
                case NodeType.Directory:
                    ReadId(r, id);
                    n.Subtree = new BlobId(id);
                    break;
                case NodeType.Symlink:
                    n.LinkTarget = r.ReadString();
                    break;
                default:
                    throw new FormatException($"tree node \"{n.Name}\" has unknown type {(byte)n.Type}");
            }

            nodes.Add(n);
        }

        return nodes;
    }

    private static void ReadId(BinaryReader r, Span<byte> id)
    {
        if (r.Read(id) != BlobId.Size)
        {
            throw new EndOfStreamException("tree ends inside an id");
        }
    }

    /// <summary>The order nodes are stored in: ordinal by name.</summary>
    public static int CompareNames(TreeNode a, TreeNode b) => string.CompareOrdinal(a.Name, b.Name);
}
