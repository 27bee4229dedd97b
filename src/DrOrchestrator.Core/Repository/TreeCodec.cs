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
///        tag 1 links: nlink varint; tag 2 sparse: empty; tag 3 xattr: name str | value length varint | value;
///        tag 4 ctime: i64 LE (Unix ns)
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
    private const byte CTimeTag = 4;

    /// <summary>Writes the extras straight into the listing (each payload length is computed, not buffered): one allocation-free pass per node.</summary>
    private static void WriteExtras(BinaryWriter w, TreeNode n)
    {
        w.Write7BitEncodedInt((n.Links > 1 ? 1 : 0) + (n.Sparse ? 1 : 0) + (n.CTimeNs != 0 ? 1 : 0) + n.Xattrs.Count);
        if (n.Links > 1)
        {
            w.Write(LinksTag);
            w.Write7BitEncodedInt(VarIntSize(n.Links));
            w.Write7BitEncodedInt64(n.Links);
        }

        if (n.Sparse)
        {
            w.Write(SparseTag);
            w.Write7BitEncodedInt(0);
        }

        if (n.CTimeNs != 0)
        {
            w.Write(CTimeTag);
            w.Write7BitEncodedInt(sizeof(long));
            w.Write(n.CTimeNs);
        }

        foreach (var x in n.Xattrs)
        {
            var nameLength = Encoding.UTF8.GetByteCount(x.Name);
            w.Write(XattrTag);
            w.Write7BitEncodedInt(VarIntSize((ulong)nameLength) + nameLength + VarIntSize((ulong)x.Value.Length) + x.Value.Length);
            w.Write(x.Name);
            w.Write7BitEncodedInt(x.Value.Length);
            w.Write(x.Value);
        }
    }

    /// <summary>Bytes of a 7-bit-group varint.</summary>
    private static int VarIntSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    /// <summary>Reads the extras in place; each is bounded by its payload length, and a payload longer than its fields is skipped to its end.</summary>
    private static void ReadExtras(BinaryReader r, TreeNode n)
    {
        var stream = r.BaseStream;
        var count = r.Read7BitEncodedInt();
        List<ExtendedAttribute>? xattrs = null;
        for (var i = 0; i < count; i++)
        {
            var tag = r.ReadByte();
            var length = r.Read7BitEncodedInt();
            var end = stream.Position + length;
            if (length < 0 || end > stream.Length)
            {
                throw new EndOfStreamException("tree ends inside a node's extras");
            }

            switch (tag)
            {
                case LinksTag:
                    n.Links = checked((uint)r.Read7BitEncodedInt64());
                    break;
                case SparseTag:
                    n.Sparse = true;
                    break;
                case CTimeTag:
                    n.CTimeNs = r.ReadInt64();
                    break;
                case XattrTag:
                    var name = r.ReadString();
                    var valueLength = r.Read7BitEncodedInt();
                    if (valueLength < 0 || stream.Position + valueLength > end)
                    {
                        throw new EndOfStreamException("tree ends inside an extended attribute");
                    }

                    (xattrs ??= []).Add(new ExtendedAttribute(name, r.ReadBytes(valueLength)));
                    break;
                default:
                    break; // a newer writer's extra: skipped, the rest of the node is still read
            }

            if (stream.Position > end)
            {
                throw new EndOfStreamException($"tree node \"{n.Name}\" has an extra (tag {tag}) longer than its payload");
            }

            stream.Position = end;
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
