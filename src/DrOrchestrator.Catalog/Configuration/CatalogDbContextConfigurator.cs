using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace DrOrchestrator.Catalog.Configuration;

/// <summary>
/// The one place that turns <see cref="CatalogOptions"/> into EF options: provider, final
/// connection string (password from the environment), migrations assembly. Used by DI, the
/// design-time factories and the tests, so all three build the same model.
/// </summary>
public static class CatalogDbContextConfigurator
{
    /// <summary>Migrations assembly for SQLite; the host must reference it so it is deployed.</summary>
    public const string SqliteMigrationsAssembly = "DrOrchestrator.Migrations.Sqlite";

    /// <summary>Migrations assembly for PostgreSQL; the host must reference it so it is deployed.</summary>
    public const string PostgresMigrationsAssembly = "DrOrchestrator.Migrations.Postgres";

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder builder, CatalogOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider switch
        {
            CatalogProvider.Sqlite => UseSqlite(builder, options),
            CatalogProvider.Postgres => UsePostgres(builder, options),
            _ => throw new InvalidOperationException(CatalogOptionsValidator.UnsupportedProvider(options.Provider.ToString())),
        };
    }

    // One method per provider, never inlined: preparing a method loads the assemblies of the types
    // it names, so a SQLite catalog never loads the PostgreSQL provider, and the other way round.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DbContextOptionsBuilder UseSqlite(DbContextOptionsBuilder builder, CatalogOptions options) => builder
        .UseSqlite(SqliteConnectionString(options), b => b.MigrationsAssembly(SqliteMigrationsAssembly))
        .AddInterceptors(new SqliteBusyTimeoutInterceptor(options.BusyTimeoutSeconds));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DbContextOptionsBuilder UsePostgres(DbContextOptionsBuilder builder, CatalogOptions options) => builder
        .UseNpgsql(PostgresConnectionString(options), b => b.MigrationsAssembly(PostgresMigrationsAssembly));

    /// <summary>
    /// The assembly-qualified type of the provider's EF Core compiled model, generated into its
    /// migrations assembly by <c>dotnet ef dbcontext optimize</c> (src/DrOrchestrator.Catalog/README.md);
    /// named, not referenced, because the migrations assemblies reference this one.
    /// </summary>
    public static string CompiledModelTypeName(CatalogProvider provider) => provider switch
    {
        CatalogProvider.Sqlite => "DrOrchestrator.Migrations.Sqlite.CompiledModel.CatalogDbContextModel, " + SqliteMigrationsAssembly,
        CatalogProvider.Postgres => "DrOrchestrator.Migrations.Postgres.CompiledModel.CatalogDbContextModel, " + PostgresMigrationsAssembly,
        _ => throw new InvalidOperationException(CatalogOptionsValidator.UnsupportedProvider(provider.ToString())),
    };

    /// <summary>
    /// Uses the provider's compiled model when its migrations assembly is deployed: building the
    /// model at run time costs every command time and memory (docs/decisions.md §14). Only the
    /// application does this; design-time tooling must see the model the code describes, or a
    /// new migration would be diffed against a stale compiled model.
    /// </summary>
    public static DbContextOptionsBuilder UseCompiledModel(DbContextOptionsBuilder builder, CatalogProvider provider)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (Type.GetType(CompiledModelTypeName(provider))?.GetProperty("Instance")?.GetValue(null) is IModel model)
        {
            builder.UseModel(model);
        }

        return builder;
    }

    /// <summary>A context over <paramref name="options"/> without DI: design-time factories and tooling.</summary>
    public static CatalogDbContext CreateDbContext(CatalogOptions options)
    {
        var builder = new DbContextOptionsBuilder<CatalogDbContext>();
        Configure(builder, options);
        return new CatalogDbContext(builder.Options);
    }

    /// <summary>SQLite connection string; Default Timeout doubles as the time Microsoft.Data.Sqlite retries a busy database.</summary>
    public static string SqliteConnectionString(CatalogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var text = string.IsNullOrWhiteSpace(options.ConnectionString) ? CatalogOptions.DefaultSqliteConnectionString : options.ConnectionString;
        var builder = new SqliteConnectionStringBuilder(text) { DefaultTimeout = Math.Max(options.BusyTimeoutSeconds, 1) };
        return builder.ToString();
    }

    /// <summary>PostgreSQL connection string with the password added from the environment, never from configuration.</summary>
    public static string PostgresConnectionString(CatalogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        if (!string.IsNullOrWhiteSpace(options.PasswordEnvironmentVariable))
        {
            builder.Password = Environment.GetEnvironmentVariable(options.PasswordEnvironmentVariable);
        }

        return builder.ToString();
    }
}
