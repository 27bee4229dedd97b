using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Drill;

namespace DrOrchestrator.Orchestration.Drill;

/// <summary>
/// Which files a sampled drill restores. The catalog keeps, per policy and target, when each
/// file was last fully verified. A sample takes (1) every file that would be older than the
/// period by the next drill, expected as far ahead as the last one was behind, then (2) the files
/// verified longest ago (never-verified first, ties in random order) up to the sample size. So
/// the sample rotates through the whole policy, and it grows by itself when drills are too rare
/// or too small to keep the period (docs/decisions.md §38).
/// </summary>
public static class DrillSampleSchedule
{
    public static IReadOnlyList<SnapshotFile> Select(
        IReadOnlyList<SnapshotFile> files, IReadOnlyDictionary<string, DrillFileState> states, DrillSample sample, DateTimeOffset now, TimeSpan period, Random random)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(random);
        var lastDrill = states.Values.Select(s => s.VerifiedAt).Max();
        var interval = lastDrill is { } last && now > last ? now - last : TimeSpan.Zero;
        var horizon = now + interval;
        var wanted = sample.FilesOf(files.Count);
        var chosen = new List<SnapshotFile>();
        var rest = new List<(SnapshotFile File, DateTimeOffset Since, int Tie)>();
        foreach (var file in files)
        {
            var state = states.GetValueOrDefault(file.Path);
            var since = state?.VerifiedAt ?? state?.FirstSeenAt ?? now;
            if (since + period <= horizon)
            {
                chosen.Add(file);
            }
            else
            {
                rest.Add((file, state?.VerifiedAt ?? DateTimeOffset.MinValue, random.Next()));
            }
        }

        if (chosen.Count < wanted)
        {
            chosen.AddRange(rest.OrderBy(r => r.Since).ThenBy(r => r.Tie).Take(wanted - chosen.Count).Select(r => r.File));
        }

        return chosen;
    }
}
