using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>
/// How the result types of this folder are written as JSON — by `drorch … --json` and by the
/// service's API alike, so both front doors hand out the same objects in the same shape. The
/// shapes are part of the CLI contract: fields are only ever added, never renamed or removed.
/// Times are ISO 8601 UTC, sizes in bytes, durations in seconds.
/// </summary>
public static class ContractJson
{
    /// <summary>Web defaults (camelCase), indented, enums as camelCase strings, nulls written.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
