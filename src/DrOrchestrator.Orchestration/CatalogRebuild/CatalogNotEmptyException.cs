namespace DrOrchestrator.Orchestration.CatalogRebuild;

/// <summary>`catalog rebuild` refuses a catalog that already holds history: it would mix two pasts.</summary>
public sealed class CatalogNotEmptyException(string message) : Exception(message);
