namespace DrOrchestrator.Orchestration.Configuration;

/// <summary>
/// The part of a <c>Targets:&lt;name&gt;</c> section every target type shares. The rest of the
/// section is bound to the backend's own options type (<c>LocalTargetOptions</c>,
/// <c>S3TargetOptions</c>, <c>AzureBlobTargetOptions</c>) by <see cref="Targets.TargetRegistry"/>.
/// </summary>
public sealed class TargetOptions
{
    /// <summary>local | s3 | azure</summary>
    public string Type { get; set; } = "";

    /// <summary>Overrides the top-level <c>RepositoryKey</c> for this target's repository.</summary>
    public SecretReferenceOptions? RepositoryKey { get; set; }
}
