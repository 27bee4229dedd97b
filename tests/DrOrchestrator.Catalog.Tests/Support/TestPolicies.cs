using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Catalog.Tests.Support;

internal static class TestPolicies
{
    public static Policy Home(string rpo = "24h") => Parse($$"""
        name: home
        description: Alice's home dir
        sources: [{ type: files, paths: [/home/alice] }]
        targets: [{ name: local, role: primary }, { name: offsite, role: replica }]
        schedule: { cron: "0 0 2 * * ?", timeZone: Europe/Berlin }
        rpo: {{rpo}}
        rto: 1h
        retention: { keepLast: 7 }
        """);

    public static Policy Named(string name) => Home() with { Name = name, Description = null };

    private static Policy Parse(string yaml)
    {
        var result = PolicyFileParser.Parse(new StringReader(yaml), "test.yaml");
        Assert.Empty(result.Problems);
        return Assert.Single(result.Policies);
    }
}
