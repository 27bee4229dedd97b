using System.Text.Json.Serialization;
using DrOrchestrator.Orchestration.Restore;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>A database restored and verified: `restore --to-db --json` and the API's result.</summary>
/// <param name="Destination">The connection reference as given (it never holds a password).</param>
/// <param name="FingerprintVerified">Always true in a result: a mismatch fails the restore.</param>
public sealed record DatabaseRestoreInfo(
    string? Policy, string SnapshotId, DateTimeOffset RecoveryPoint, string Target, string Source, string Database, string Destination,
    int Tables, long Rows, long Bytes, bool FingerprintVerified, double ElapsedSeconds)
{
    [JsonIgnore]
    public string ShortId => SnapshotId[..Math.Min(8, SnapshotId.Length)];

    public static DatabaseRestoreInfo From(PolicyDatabaseRestoreOutcome o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new(
            o.Snapshot.PolicyName, o.Snapshot.Id, o.Result.RecoveryPoint.ToUniversalTime(), o.Target, o.Source, o.Result.Database, o.Result.Destination,
            o.Result.Tables, o.Result.Rows, o.Result.BytesRestored, FingerprintVerified: true, o.Elapsed.TotalSeconds);
    }
}
