using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrOrchestrator.Core.Repository;

/// <summary>The JSON settings of config and snapshot objects: camelCase, compact, strict.</summary>
internal static class RepositoryJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    public static T Deserialize<T>(ReadOnlySpan<byte> json, string what) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new FormatException($"{what} is JSON null");
}
