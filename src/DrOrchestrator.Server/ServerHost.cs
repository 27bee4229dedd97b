using System.Security.Cryptography.X509Certificates;
using DrOrchestrator.Catalog;
using DrOrchestrator.Catalog.Configuration;
using DrOrchestrator.Orchestration;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Targets;
using DrOrchestrator.Server.Api;
using DrOrchestrator.Server.Configuration;
using DrOrchestrator.Server.Monitoring;
using DrOrchestrator.Server.Security;
using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Server;

/// <summary>
/// `drorch serve`: builds the web host around the Orchestration services, validates the
/// configuration before anything listens (a bad value is one line and exit 2), brings the
/// catalog schema up to date, then serves until SIGTERM.
/// </summary>
public static class ServerHost
{
    public const int InvalidConfiguration = 2;

    /// <summary>Runs the service until <paramref name="cancellationToken"/> or a stop signal; returns the exit code.</summary>
    public static async Task<int> RunAsync(IConfiguration configuration, Action<string> reportError, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reportError);
        WebApplication app;
        try
        {
            app = await StartAsync(configuration, null, cancellationToken).ConfigureAwait(false);
        }
        catch (OptionsValidationException ex)
        {
            foreach (var failure in ex.Failures)
            {
                reportError(failure);
            }

            return InvalidConfiguration;
        }
        catch (ConfigurationException ex)
        {
            reportError(ex.Message);
            return InvalidConfiguration;
        }

        await using (app.ConfigureAwait(false))
        {
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>Builds, checks and starts the service; <paramref name="urls"/> overrides Server:Urls (tests bind 127.0.0.1:0).</summary>
    public static Task<WebApplication> StartAsync(IConfiguration configuration, IReadOnlyList<string>? urls, CancellationToken cancellationToken) =>
        StartAsync(configuration, urls, null, cancellationToken);

    /// <summary>
    /// Builds, checks and starts the service; <paramref name="urls"/> overrides Server:Urls (tests
    /// bind 127.0.0.1:0). <paramref name="replaceServices"/> runs after the service's own
    /// registrations (the scheduling benchmark swaps the work queue for one running no-op jobs).
    /// The caller stops and disposes the returned application.
    /// </summary>
    public static async Task<WebApplication> StartAsync(
        IConfiguration configuration, IReadOnlyList<string>? urls, Action<IServiceCollection>? replaceServices, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = ServerOptionsLoader.Load(configuration);
        if (urls is not null)
        {
            options.Urls = [.. urls];
        }

        var keys = ApiKeyStore.Load(options.ApiKeys, path => ConfigurationLoader.ResolvePath(configuration, path));
        var app = Build(configuration, options, keys, replaceServices);
        try
        {
            // Resolving these validates the catalog and target configuration before anything listens.
            _ = app.Services.GetRequiredService<IOptions<CatalogOptions>>().Value;
            _ = app.Services.GetRequiredService<TargetRegistry>();
            await app.Services.GetRequiredService<CatalogMigrator>().MigrateAsync(cancellationToken).ConfigureAwait(false);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var catalog = app.Services.GetRequiredService<IOptions<CatalogOptions>>().Value;
        Log.Listening(app.Services.GetRequiredService<ILogger<ServerAssemblyMarker>>(), string.Join(", ", BoundAddresses(app)), catalog.Provider.ToString(), options.WorkStorage.ToString());
        return app;
    }

    /// <summary>The addresses Kestrel actually bound (port 0 resolved).</summary>
    public static IReadOnlyList<string> BoundAddresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];
    }

    private static WebApplication Build(IConfiguration configuration, ServerOptions options, ApiKeyStore keys, Action<IServiceCollection>? replaceServices)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = configuration[ConfigurationLoader.BaseDirectoryKey] ?? Directory.GetCurrentDirectory(),
        });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders();
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.WebHost.UseUrls([.. options.Urls]);
        if (options.CertificateFile is { } certificate)
        {
            var password = options.CertificatePasswordEnvironmentVariable is { } variable ? Environment.GetEnvironmentVariable(variable) : null;
            var path = ConfigurationLoader.ResolvePath(configuration, certificate);
            if (!File.Exists(path))
            {
                throw new ConfigurationException($"Server:CertificateFile: {path} not found");
            }

            var loaded = X509CertificateLoader.LoadPkcs12FromFile(path, password);
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = loaded));
        }

        builder.Services.AddDrOrchestratorOrchestration(configuration);
        builder.Services.AddDrOrchestratorServer(configuration, options, keys);
        builder.Services.AddDrOrchestratorServerMonitoring(configuration);
        replaceServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi().AllowAnonymous();
        var api = app.MapGroup("/api").RequireAuthorization(ApiPolicies.Operator);
        PolicyEndpoints.Map(api);
        WorkEndpoints.Map(api);
        StatusEndpoints.Map(api, app);
        app.MapDrOrchestratorMonitoring();
        // The dashboard's own filters are replaced by the endpoint's authorization: admin keys only.
        app.MapHangfireDashboard("/hangfire", new DashboardOptions { Authorization = Array.Empty<IDashboardAuthorizationFilter>(), AppPath = null })
            .RequireAuthorization(ApiPolicies.Admin);
        return app;
    }
}

/// <summary>Category for the service's own start-up log lines.</summary>
public sealed class ServerAssemblyMarker;
