using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// The JSON of config, snapshot and key objects: camelCase, compact. Serialization code is
/// generated at build time (<see cref="RepositoryJsonContext"/>): the reflection-based serializer
/// spent part of every command's start building its metadata and JIT-compiling accessors (docs/decisions.md §23).
/// </summary>
internal static class RepositoryJson
{
    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, TypeInfo<T>());

    public static T Deserialize<T>(ReadOnlySpan<byte> json, string what) =>
        JsonSerializer.Deserialize(json, TypeInfo<T>()) ?? throw new FormatException($"{what} is JSON null");

    private static JsonTypeInfo<T> TypeInfo<T>() =>
        (JsonTypeInfo<T>?)RepositoryJsonContext.Default.GetTypeInfo(typeof(T))
        ?? throw new InvalidOperationException($"{typeof(T).Name} is not registered in {nameof(RepositoryJsonContext)}");
}

/// <summary>Every type stored as JSON in a repository. Changing the options changes the format.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = false)]
[JsonSerializable(typeof(Snapshot))]
[JsonSerializable(typeof(RepositoryConfig))]
[JsonSerializable(typeof(KeyFile))]
internal sealed partial class RepositoryJsonContext : JsonSerializerContext;
