using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Core.Tests.Policies;

public sealed class PolicyFileParserTests
{
    [Fact]
    public void Full_file_parses_into_the_expected_model()
    {
        var result = PolicyYaml.Parse(PolicyYaml.Full);

        Assert.Empty(result.Problems);
        Assert.True(result.IsValid);
        var policy = Assert.Single(result.Policies);
        Assert.Equal("home", policy.Name);
        Assert.Equal("Alice's home dir", policy.Description);
        var files = Assert.IsType<FilesSource>(Assert.Single(policy.Sources));
        Assert.Equal("files", files.Type);
        Assert.Equal(["/home/alice", "/etc"], files.Paths);
        Assert.Equal(["**/*"], files.Include);
        Assert.Equal(["**/.cache/**"], files.Exclude);
        Assert.Equal([new PolicyTarget("local", TargetRole.Primary), new PolicyTarget("offsite", TargetRole.Replica)], policy.Targets);
        Assert.Equal(1, policy.MinPrimaries);
        Assert.Equal(new PolicySchedule("0 0 2 * * ?", "Europe/Berlin"), policy.Schedule);
        Assert.Equal(TimeSpan.FromHours(24), policy.Rpo);
        Assert.Equal(TimeSpan.FromHours(1), policy.Rto);
        Assert.Equal(new RetentionRules(7, 14, 8, 12, 0), policy.Retention);
        Assert.Equal(new DrillSettings(new PolicySchedule("0 0 4 ? * SUN", "UTC"), 0), policy.Drill);
    }

    [Fact]
    public void Optional_fields_take_their_documented_defaults()
    {
        const string yaml = """
            name: minimal
            sources:
              - type: files
                paths: [/srv]
            targets:
              - { name: a, role: primary }
              - { name: b, role: primary }
            schedule: { cron: "0 30 1 * * ?" }
            rpo: 1d
            rto: 90s
            """;

        var policy = Assert.Single(PolicyYaml.Parse(yaml).Policies);

        Assert.Null(policy.Description);
        var files = Assert.IsType<FilesSource>(Assert.Single(policy.Sources));
        Assert.Equal(["**/*"], files.Include);
        Assert.Empty(files.Exclude);
        Assert.Equal(2, policy.MinPrimaries);
        Assert.Equal("UTC", policy.Schedule.TimeZone);
        Assert.Equal(RetentionRules.KeepAll, policy.Retention);
        Assert.True(policy.Retention.KeepsEverything);
        Assert.Null(policy.Drill);
        Assert.Equal(TimeSpan.FromSeconds(90), policy.Rto);
    }

    [Fact]
    public void Several_documents_give_several_policies()
    {
        var yaml = PolicyYaml.Full + "---\n" + PolicyYaml.Full.Replace("name: home", "name: work", StringComparison.Ordinal) + "---\n";

        var result = PolicyYaml.Parse(yaml);

        Assert.Empty(result.Problems);
        Assert.Equal(["home", "work"], result.Policies.Select(p => p.Name));
    }

    [Fact]
    public void Known_targets_accept_configured_names()
    {
        var result = PolicyYaml.Parse(PolicyYaml.Full, new HashSet<string> { "local", "offsite", "spare" });

        Assert.Empty(result.Problems);
        Assert.Single(result.Policies);
    }

    [Fact]
    public void Parse_by_path_reads_the_file_and_names_it_in_problems()
    {
        var path = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, PolicyYaml.With("rto: 1h", "rto: soon"));
        try
        {
            var result = PolicyFileParser.Parse(path);

            Assert.Equal([$"{path}:16: rto: 'soon' is not a duration (use e.g. 90s, 15m, 24h, 7d, 1h30m)"], result.Problems.Select(p => p.ToString()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_file_is_one_problem_without_a_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.yaml");

        var problem = Assert.Single(PolicyFileParser.Parse(path).Problems);

        Assert.Equal(0, problem.Line);
        Assert.StartsWith($"{path}: cannot read file: ", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_file_has_no_policy()
    {
        Assert.Equal(["p.yaml: contains no policy"], PolicyYaml.Problems("# only a comment\n"));
    }
}
