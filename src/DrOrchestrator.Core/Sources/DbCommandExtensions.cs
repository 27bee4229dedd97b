using System.Data.Common;

namespace DrOrchestrator.Core.Sources;

/// <summary>Small ADO.NET helpers the database engines share (every driver's command is a <see cref="DbCommand"/>).</summary>
public static class DbCommandExtensions
{
    /// <summary>Runs the query and returns its first column as strings, in the order the query gives (names of databases, tables).</summary>
    public static async Task<List<string>> ReadFirstColumnAsync(this DbCommand command, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
