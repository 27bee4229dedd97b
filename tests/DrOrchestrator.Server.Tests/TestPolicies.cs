namespace DrOrchestrator.Server.Tests;

/// <summary>Policy YAML for the tests: one files source, the sandbox's local target as primary.</summary>
internal static class TestPolicies
{
    public static string Yaml(string name, string source, string cron, string timeZone = "UTC", string blackout = "", int keepLast = 7) => $"""
        name: {name}
        sources:
          - type: files
            paths: ["{source}"]
        targets:
          - name: local
            role: primary
        schedule:
          cron: "{cron}"
          timeZone: {timeZone}
        {(blackout.Length > 0 ? $"  blackout: [{blackout}]" : "")}
        rpo: 24h
        rto: 1h
        retention: {"{"} keepLast: {keepLast} {"}"}
        """;
}
