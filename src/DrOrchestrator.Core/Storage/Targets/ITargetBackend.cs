namespace DrOrchestrator.Core.Storage.Targets;

/// <summary>
/// One kind of target (<c>Targets:&lt;name&gt;:Type</c>: "local", "s3", "azure"): opens the
/// object store of a configured target of its type. Each Storage project registers its own
/// (<c>AddLocalTargets()</c>, <c>AddS3Targets()</c>, <c>AddAzureBlobTargets()</c>) with its typed,
/// validated options, so the target registry needs no list of backends and a new backend is a
/// new project plus one registration call.
/// </summary>
public interface ITargetBackend
{
    /// <summary>The <c>Type</c> value this backend serves, lower case.</summary>
    string Type { get; }

    /// <summary>
    /// Problems of the target's options as full one-line messages (<c>file: Targets:NAME: field: …</c>);
    /// empty when valid. Nothing is opened or contacted.
    /// </summary>
    IReadOnlyList<string> Validate(string targetName);

    /// <summary>Opens the target's store (validated options; nothing is contacted until the first request).</summary>
    IObjectStore Open(string targetName);
}
