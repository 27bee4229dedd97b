using DrOrchestrator.Core.Backup;

namespace DrOrchestrator.Core.Restore;

/// <summary>
/// Files of a snapshot that were hard links to one inode at backup time (same device and inode,
/// more than one link recorded). The first of each group selected for the restore is restored
/// with its content; the others are linked to it once it is in place — never restored as copies.
/// </summary>
internal sealed class HardLinkGroups
{
    private readonly List<(FileTarget Leader, FileTarget Member)> _members = [];

    /// <summary>Files restored as links.</summary>
    public long Linked { get; private set; }

    /// <summary>Removes every group's followers from <paramref name="files"/> (they get no content of their own).</summary>
    public static HardLinkGroups Split(List<FileTarget> files)
    {
        var groups = new HardLinkGroups();
        var leaders = new Dictionary<HardLinkIdentity, FileTarget>();
        files.RemoveAll(file =>
        {
            if (file.LinkIdentity is not { } inode)
            {
                return false;
            }

            if (leaders.TryGetValue(inode, out var leader) && leader.FileHash == file.FileHash)
            {
                groups._members.Add((leader, file));
                return true;
            }

            leaders[inode] = file;
            return false;
        });
        return groups;
    }

    /// <summary>Links every follower to its restored leader; returns the followers that could not be linked, and why.</summary>
    public IEnumerable<RestoreIssue> Link(bool overwrite, RestoreTracker tracker)
    {
        var failures = new List<RestoreIssue>();
        foreach (var (leader, member) in _members)
        {
            if (!leader.Restored)
            {
                failures.Add(new RestoreIssue(member.SnapshotPath, $"hard link to {leader.SnapshotPath}, which could not be restored"));
                continue;
            }

            try
            {
                if (overwrite)
                {
                    RestoreMetadata.RemoveExisting(member.Path);
                }

                UnixFileSystem.HardLink(leader.Path, member.Path);
                tracker.LinkDone(member);
                Linked++;
            }
            catch (IOException e)
            {
                failures.Add(new RestoreIssue(member.SnapshotPath, e.Message));
            }
        }

        return failures;
    }
}
