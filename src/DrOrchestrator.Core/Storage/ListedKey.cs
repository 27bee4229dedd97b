namespace DrOrchestrator.Core.Storage;

/// <summary>
/// Turns a name from a backend's listing into a repository key. A name outside the prefix or not
/// a valid key cannot have been written by the repository: the listing was damaged on its way (a
/// flipped byte in the reply), so it is a transient read error of that store — retried, then
/// another copy is listed — never an invalid-input error that would end a restore.
/// </summary>
public static class ListedKey
{
    /// <summary>The key of <paramref name="name"/> below <paramref name="prefix"/>; throws a transient <see cref="ObjectStoreException"/> when it is not one.</summary>
    public static string Parse(string name, string prefix, string store)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(prefix);
        if (name.StartsWith(prefix, StringComparison.Ordinal) && ObjectKey.IsValid(name[prefix.Length..]))
        {
            return name[prefix.Length..];
        }

        throw new ObjectStoreException(store, null,
            $"the listing returned '{Printable(name)}', which is not a key of this repository (a damaged reply)", isTransient: true);
    }

    private static string Printable(string name) =>
        string.Concat(name.Take(200).Select(c => char.IsControl(c) || c > '~' ? '?' : c));
}
