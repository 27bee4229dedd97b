using DrOrchestrator.Catalog;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>
/// `catalog migrate [--check] --json`: the catalog's provider, the migrations applied by this
/// command (<see cref="AppliedNow"/>, empty with --check), every migration applied, those still
/// pending, and those applied by a newer drorch that this one does not know.
/// </summary>
public sealed record CatalogMigrationInfo(
    string Provider, bool Check, IReadOnlyList<string> AppliedNow, IReadOnlyList<string> Applied, IReadOnlyList<string> Pending, IReadOnlyList<string> Unknown)
{
    public static CatalogMigrationInfo From(CatalogMigrationState state, bool check, IReadOnlyList<string> appliedNow)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(state.Provider, check, appliedNow, state.Applied, state.Pending, state.Unknown);
    }
}
