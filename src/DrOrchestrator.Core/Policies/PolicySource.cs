namespace DrOrchestrator.Core.Policies;

/// <summary>
/// What a policy backs up. The model is open: each source type is a subclass carrying its own
/// typed settings, and <see cref="Type"/> is the discriminator written in YAML
/// (<c>files</c> now; <c>postgres</c>, <c>mariadb</c>, <c>sqlite</c> later).
/// </summary>
public abstract record PolicySource(string Type);

/// <summary>
/// Files and directories. <see cref="Include"/> and <see cref="Exclude"/> are globs relative to
/// each path in <see cref="Paths"/>; a file is taken when it matches an include and no exclude.
/// </summary>
public sealed record FilesSource(
    IReadOnlyList<string> Paths,
    IReadOnlyList<string> Include,
    IReadOnlyList<string> Exclude) : PolicySource(TypeName)
{
    /// <summary>The YAML <c>type</c> value of this source.</summary>
    public const string TypeName = "files";

    /// <summary>Default include list: everything below each path.</summary>
    public static IReadOnlyList<string> DefaultInclude { get; } = ["**/*"];
}
