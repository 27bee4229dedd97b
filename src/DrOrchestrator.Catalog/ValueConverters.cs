using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace DrOrchestrator.Catalog;

/// <summary>
/// DateTimeOffset ⇄ microseconds since the Unix epoch, UTC, as an SQLite INTEGER. Integers
/// compare, sort and MAX() correctly in SQL (ISO text with offsets does not), microseconds
/// are exactly PostgreSQL's timestamptz precision so both providers return identical values,
/// and <c>datetime(col / 1000000, 'unixepoch')</c> reads them in the sqlite3 shell.
/// </summary>
public sealed class UtcMicrosecondsConverter() : ValueConverter<DateTimeOffset, long>(
    v => (v.UtcTicks - UnixEpochTicks) / TicksPerMicrosecond,
    v => new DateTimeOffset(UnixEpochTicks + (v * TicksPerMicrosecond), TimeSpan.Zero))
{
    private const long UnixEpochTicks = 621_355_968_000_000_000;
    private const long TicksPerMicrosecond = 10;
}

/// <summary>Enum ⇄ lower-case member name ("running"): readable in SQL and safe against member reordering.</summary>
public sealed class LowerCaseEnumConverter<TEnum>() : ValueConverter<TEnum, string>(
    v => v.ToString().ToLowerInvariant(),
    v => Enum.Parse<TEnum>(v, true))
    where TEnum : struct, Enum;
