using System.Text;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// Binary encoding of a directory listing (a Tree blob). Nodes are sorted by name (ordinal,
/// UTF-16 code units), so equal directories encode to equal bytes and dedup to one blob.
/// <code>
/// tree  := version u8 (1 or 2) | count varint | node*
/// node  := name str | type u8 | mode varint | uid varint | gid varint | mtime_ns i64 LE | size varint
///          | inode u64 LE | device u64 LE | rest | extras (version 2 only)
/// rest  := file: sha256 [32] | chunk count varint | chunk id [32]*
///        | dir: subtree id [32]
///        | symlink: target str
/// extras := count varint | (tag u8 | payload length varint | payload)*
///        tag 1 links: nlink varint; tag 2 sparse: empty; tag 3 xattr: name str | value length varint | value
///        (unknown tags are skipped by their length)
/// str   := byte length varint | UTF-8 bytes (any characters incl. newlines)
/// </code>
/// A listing none of whose nodes has extras is written as version 1, byte for byte as before
/// version 2 existed: unchanged directories keep their ids (dedup with older snapshots), and
/// older readers still read them.
/// </summary>
internal static class TreeCodec
{
    public static byte[] Encode(IReadOnlyList<TreeNode> nodes)
    {
        using var ms = new MemoryStream(64 + (nodes.Count * 96));
        using var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true);
        var version = nodes.Any(n => n.HasExtras) ? (byte)2 : (byte)1;
        w.Write(version);
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

            if (version == 2)
            {
                WriteExtras(w, n);
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
        var version = r.ReadByte();
        if (version is not (1 or 2))
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

            if (version == 2)
            {
                ReadExtras(r, n);
            }

            nodes.Add(n);
        }

        return nodes;
    }

    private const byte LinksTag = 1;
    private const byte SparseTag = 2;
    private const byte XattrTag = 3;

    private static void WriteExtras(BinaryWriter w, TreeNode n)
    {
        w.Write7BitEncodedInt((n.Links > 1 ? 1 : 0) + (n.Sparse ? 1 : 0) + n.Xattrs.Count);
        using var payload = new MemoryStream();
        using var p = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true);
        void Flush(byte tag)
        {
            p.Flush();
            w.Write(tag);
            w.Write7BitEncodedInt((int)payload.Length);
            w.Write(payload.GetBuffer(), 0, (int)payload.Length);
            payload.SetLength(0);
        }

        if (n.Links > 1)
        {
            p.Write7BitEncodedInt64(n.Links);
            Flush(LinksTag);
        }

        if (n.Sparse)
        {
            Flush(SparseTag);
        }

        foreach (var x in n.Xattrs)
        {
            p.Write(x.Name);
            p.Write7BitEncodedInt(x.Value.Length);
            p.Write(x.Value);
            Flush(XattrTag);
        }
    }

    private static void ReadExtras(BinaryReader r, TreeNode n)
    {
        var count = r.Read7BitEncodedInt();
        List<ExtendedAttribute>? xattrs = null;
        for (var i = 0; i < count; i++)
        {
            var tag = r.ReadByte();
            var length = r.Read7BitEncodedInt();
            var payload = r.ReadBytes(length);
            if (payload.Length != length)
            {
                throw new EndOfStreamException("tree ends inside a node's extras");
            }

            using var p = new BinaryReader(new MemoryStream(payload, writable: false), Encoding.UTF8);
            switch (tag)
            {
                case LinksTag:
                    n.Links = checked((uint)p.Read7BitEncodedInt64());
                    break;
                case SparseTag:
                    n.Sparse = true;
                    break;
                case XattrTag:
                    var name = p.ReadString();
                    var value = p.ReadBytes(p.Read7BitEncodedInt());
                    (xattrs ??= []).Add(new ExtendedAttribute(name, value));
                    break;
                default:
                    break; // a newer writer's extra: skipped, the rest of the node is still read
            }
        }

        n.Xattrs = xattrs ?? (IReadOnlyList<ExtendedAttribute>)[];
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
