namespace DrOrchestrator.Catalog;

/// <summary>A catalog request that cannot be done as asked (unknown policy, target or run); the message is one line for the admin.</summary>
public sealed class CatalogException : Exception
{
    public CatalogException()
    {
    }

    public CatalogException(string message)
        : base(message)
    {
    }

    public CatalogException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
