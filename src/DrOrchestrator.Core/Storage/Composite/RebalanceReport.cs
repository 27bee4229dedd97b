namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>What a <see cref="PoolRebalancer"/> run did.</summary>
/// <param name="PacksExamined">Distinct pack keys found on the pool's (old and new) members.</param>
/// <param name="PacksMoved">Packs that received at least one new copy.</param>
/// <param name="BytesCopied">Bytes written to members for pack copies.</param>
/// <param name="Copies">Every verified pack copy made, ordered by key then target.</param>
/// <param name="Removals">Every surplus pack copy deleted, ordered by key then member.</param>
/// <param name="MetadataCopied">Metadata objects copied to members that lacked them.</param>
/// <param name="Errors">One line per problem, "&lt;store&gt;: &lt;key&gt;: &lt;reason&gt;"; the run continues past them.</param>
public sealed record RebalanceReport(
    int PacksExamined,
    int PacksMoved,
    long BytesCopied,
    IReadOnlyList<PackCopy> Copies,
    IReadOnlyList<PackRemoval> Removals,
    int MetadataCopied,
    IReadOnlyList<string> Errors)
{
    /// <summary>Pack copies made.</summary>
    public int CopiesMade => Copies.Count;

    /// <summary>Surplus pack copies deleted.</summary>
    public int CopiesDeleted => Removals.Count;

    /// <summary>True when the pool now matches its placement everywhere the run could reach.</summary>
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>A pack copied from member <paramref name="From"/> to member <paramref name="To"/> (member names).</summary>
public sealed record PackCopy(string Key, string From, string To, long Bytes);

/// <summary>A surplus copy of a pack deleted from member <paramref name="Member"/>.</summary>
public sealed record PackRemoval(string Key, string Member);
