using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Core.Tests.Policies;

/// <summary>A valid full policy with known line numbers; tests replace one line to break it.</summary>
internal static class PolicyYaml
{
    public const string FileName = "p.yaml";

    public const string Full = """
        name: home
        description: Alice's home dir
        sources:
          - type: files
            paths: [/home/alice, /etc]
            include: ["**/*"]
            exclude: ["**/.cache/**"]
        targets:
          - name: local
            role: primary
          - name: offsite
            role: replica
        minPrimaries: 1
        schedule: { cron: "0 0 2 * * ?", timeZone: Europe/Berlin }
        rpo: 24h
        rto: 1h
        retention: { keepLast: 7, keepDaily: 14, keepWeekly: 8, keepMonthly: 12, keepYearly: 0 }
        drill: { cron: "0 0 4 ? * SUN", timeZone: UTC, sampleFiles: 0 }

        """;

    public static PolicyParseResult Parse(string yaml, IReadOnlySet<string>? knownTargets = null) =>
        PolicyFileParser.Parse(new StringReader(yaml), FileName, knownTargets);

    /// <summary>The full policy with <paramref name="oldLine"/> (exact text) replaced.</summary>
    public static string With(string oldLine, string newLine)
    {
        Assert.Contains(oldLine, Full, StringComparison.Ordinal);
        return Full.Replace(oldLine, newLine, StringComparison.Ordinal);
    }

    public static string[] Problems(string yaml, IReadOnlySet<string>? knownTargets = null)
    {
        var result = Parse(yaml, knownTargets);
        Assert.Empty(result.Policies);
        return [.. result.Problems.Select(p => p.ToString())];
    }
}
