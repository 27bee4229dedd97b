namespace DrOrchestrator.Orchestration.Targets;

/// <summary>One target's problem as one line, named as the admin configured it.</summary>
public static class TargetMessage
{
    /// <summary>
    /// "target: message" — unless the message already begins with the target's name: a store
    /// opened for a configured target names itself that way in every error (issue 19 item 9), and
    /// "s3d: s3d: …" would read as two things.
    /// </summary>
    public static string About(string target, string message) =>
        message.StartsWith(target + ": ", StringComparison.Ordinal) ? message : $"{target}: {message}";
}
