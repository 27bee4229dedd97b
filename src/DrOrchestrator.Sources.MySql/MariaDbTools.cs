using DrOrchestrator.Core.Sources;

namespace DrOrchestrator.Sources.MySql;

internal static class MariaDbTools
{
    /// <summary>The MariaDB tool, or its MySQL name; the Debian package mariadb-client brings both.</summary>
    public static string Locate(MariaDbSourceOptions options, string mariaDbName, string mySqlName) =>
        ClientTools.Locate(
            [mariaDbName, mySqlName],
            options.ToolDirectory is null ? [] : [options.ToolDirectory],
            searchPath: options.ToolDirectory is null,
            "mariadb-client");
}
