using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Catalog.Configuration;

/// <summary>
/// Makes a relative SQLite <c>Data Source</c> absolute against the folder the host names at
/// registration (the configuration file's folder), so the embedded default reaches the same
/// catalog from any working directory. Absolute paths, <c>:memory:</c>, other providers and an
/// unset or unparseable connection string are left as they are (the last two for
/// <see cref="CatalogOptionsValidator"/> to name). No folder is created: a catalog under a
/// missing folder is a configuration error, not something to make up.
/// </summary>
internal sealed class SqliteDataSourceResolver(string baseDirectory) : IPostConfigureOptions<CatalogOptions>
{
    public void PostConfigure(string? name, CatalogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provider != CatalogProvider.Sqlite || string.IsNullOrEmpty(options.ConnectionString))
        {
            return;
        }

        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException)
        {
            return;
        }

        if (string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:" || Path.IsPathFullyQualified(builder.DataSource))
        {
            return;
        }

        builder.DataSource = Path.GetFullPath(Path.Combine(baseDirectory, builder.DataSource));
        options.ConnectionString = builder.ToString();
    }
}
