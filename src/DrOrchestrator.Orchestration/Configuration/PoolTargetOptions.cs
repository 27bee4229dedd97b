namespace DrOrchestrator.Orchestration.Configuration;

/// <summary>
/// A pool target (<c>Type: pool</c>): packs spread over member targets on a consistent-hash ring,
/// each pack on <see cref="ReplicationFactor"/> distinct members; metadata on every member.
/// Members are other configured targets (not pools), by name.
/// </summary>
public sealed class PoolTargetOptions
{
    public int ReplicationFactor { get; set; } = 1;

    public List<PoolMemberOptions> Members { get; set; } = [];
}

public sealed class PoolMemberOptions
{
    public string Target { get; set; } = "";

    public double Weight { get; set; } = 1;
}
