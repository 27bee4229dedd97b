using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Core.Tests.Policies;

public sealed class PolicySerializerTests
{
    private const string CanonicalFull = """
        name: home
        description: Alice's home dir
        sources:
        - type: files
          paths:
          - /home/alice
          - /etc
          include:
          - '**/*'
          exclude:
          - '**/.cache/**'
        targets:
        - name: local
          role: primary
        - name: offsite
          role: replica
        minPrimaries: 1
        schedule:
          cron: 0 0 2 * * ?
          timeZone: Europe/Berlin
        rpo: 1d
        rto: 1h
        retention:
          keepLast: 7
          keepDaily: 14
          keepWeekly: 8
          keepMonthly: 12
          keepYearly: 0
        drill:
          cron: 0 0 4 ? * SUN
          timeZone: UTC
          sampleFiles: 0

        """;

    [Fact]
    public void Full_policy_serializes_to_canonical_yaml()
    {
        var policy = Assert.Single(PolicyYaml.Parse(PolicyYaml.Full).Policies);

        Assert.Equal(CanonicalFull, PolicySerializer.Serialize(policy));
    }

    [Fact]
    public void Canonical_yaml_parses_back_to_an_equal_policy_and_the_same_text()
    {
        var policy = Assert.Single(PolicyYaml.Parse(PolicyYaml.Full).Policies);
        var text = PolicySerializer.Serialize(policy);

        var again = Assert.Single(PolicyYaml.Parse(text).Policies);

        Assert.Equal(text, PolicySerializer.Serialize(again));
        Assert.Equal(policy.Name, again.Name);
        Assert.Equal(policy.Targets, again.Targets);
        Assert.Equal(policy.Schedule, again.Schedule);
        Assert.Equal(policy.Drill, again.Drill);
        Assert.Equal(policy.Retention, again.Retention);
        Assert.Equal((policy.Rpo, policy.Rto, policy.MinPrimaries), (again.Rpo, again.Rto, again.MinPrimaries));
    }

    [Fact]
    public void Defaults_are_spelled_out_and_special_text_is_quoted()
    {
        const string yaml = """
            name: db
            description: "yes: #1 [really]"
            sources: [{ type: files, paths: ["/var/lib/a b"] }]
            targets: [{ name: local, role: primary }]
            schedule: { cron: "0 */15 * * * ?" }
            rpo: 90m
            rto: 3600s
            """;
        var policy = Assert.Single(PolicyYaml.Parse(yaml).Policies);

        var text = PolicySerializer.Serialize(policy);

        Assert.Contains("description: 'yes: #1 [really]'\n", text, StringComparison.Ordinal);
        Assert.Contains("  timeZone: UTC\n", text, StringComparison.Ordinal);
        Assert.Contains("rpo: 1h30m\nrto: 1h\n", text, StringComparison.Ordinal);
        Assert.Contains("  exclude: []\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("drill:", text, StringComparison.Ordinal);
        var again = Assert.Single(PolicyYaml.Parse(text).Policies);
        Assert.Equal("yes: #1 [really]", again.Description);
        Assert.Equal(["/var/lib/a b"], Assert.IsType<FilesSource>(again.Sources[0]).Paths);
    }

    [Fact]
    public void Several_policies_serialize_as_one_multi_document_file()
    {
        var yaml = PolicyYaml.Full + "---\n" + PolicyYaml.Full.Replace("name: home", "name: work", StringComparison.Ordinal);
        var policies = PolicyYaml.Parse(yaml).Policies;

        var text = PolicySerializer.SerializeAll(policies);

        Assert.Equal(CanonicalFull + "---\n" + CanonicalFull.Replace("name: home", "name: work", StringComparison.Ordinal), text);
        Assert.Equal(["home", "work"], PolicyYaml.Parse(text).Policies.Select(p => p.Name));
    }
}
