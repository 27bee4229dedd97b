namespace DrOrchestrator.Core.Tests.Policies;

/// <summary>Each error kind, asserted as the exact <c>file:line: field: message</c> an admin sees.</summary>
public sealed class PolicyValidationTests
{
    [Theory]
    [InlineData("rto: 1h", "rto: 1h\nretries: 3", "p.yaml:17: retries: unknown key")]
    [InlineData("    role: replica", "    role: replica\n    weight: 2", "p.yaml:13: targets[1].weight: unknown key")]
    [InlineData("schedule: { cron: \"0 0 2 * * ?\", timeZone: Europe/Berlin }", "schedule: { cron: \"0 0 2 * * ?\", zone: UTC }",
        "p.yaml:14: schedule.zone: unknown key")]
    [InlineData("timeZone: Europe/Berlin", "timezone: Europe/Berlin", "p.yaml:14: schedule.timezone: unknown key (did you mean 'timeZone'?)")]
    [InlineData("rto: 1h", "rto: 1h\nminPrimarys: 1", "p.yaml:17: minPrimarys: unknown key (did you mean 'minPrimaries'?)")]
    [InlineData("rpo: 24h\n", "", "p.yaml:1: rpo: is required")]
    [InlineData("name: home", "name: Home_Dir",
        "p.yaml:1: name: 'Home_Dir' is not a valid name (lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters)")]
    [InlineData("name: home", "name: -home",
        "p.yaml:1: name: '-home' is not a valid name (lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters)")]
    [InlineData("rpo: 24h", "rpo: 24x", "p.yaml:15: rpo: '24x' is not a duration (use e.g. 90s, 15m, 24h, 7d, 1h30m)")]
    [InlineData("rpo: 24h", "rpo: 30m1h", "p.yaml:15: rpo: '30m1h' is not a duration (use e.g. 90s, 15m, 24h, 7d, 1h30m)")]
    [InlineData("rpo: 24h", "rpo: 0s", "p.yaml:15: rpo: must be greater than zero")]
    [InlineData("rto: 1h", "rto: 0m", "p.yaml:16: rto: must be greater than zero")]
    [InlineData("\"0 0 2 * * ?\"", "\"0 0 25 * * ?\"",
        "p.yaml:14: schedule.cron: '0 0 25 * * ?' is not a Quartz cron expression: hour '25': value 25 is out of range 0-23")]
    [InlineData("\"0 0 2 * * ?\"", "\"0 2 * * *\"",
        "p.yaml:14: schedule.cron: '0 2 * * *' is not a Quartz cron expression: expected 6 or 7 fields (second minute hour day-of-month month day-of-week [year]), got 5")]
    [InlineData("\"0 0 4 ? * SUN\"", "\"0 0 4 * * SUN\"",
        "p.yaml:18: drill.cron: '0 0 4 * * SUN' is not a Quartz cron expression: exactly one of day-of-month and day-of-week must be '?' (Quartz cannot combine both)")]
    [InlineData("timeZone: Europe/Berlin", "timeZone: Europe/Berln",
        "p.yaml:14: schedule.timeZone: unknown time zone 'Europe/Berln' (use an IANA id such as Europe/Berlin or UTC)")]
    [InlineData("    role: primary", "    role: replica", "p.yaml:8: targets: no primary target (at least one target needs role: primary)")]
    [InlineData("    role: replica", "    role: backup", "p.yaml:12: targets[1].role: 'backup' is not a role (expected primary or replica)")]
    [InlineData("minPrimaries: 1", "minPrimaries: 2", "p.yaml:13: minPrimaries: 2 is out of range 1-1 (the number of primary targets)")]
    [InlineData("minPrimaries: 1", "minPrimaries: 0", "p.yaml:13: minPrimaries: 0 is out of range 1-1 (the number of primary targets)")]
    [InlineData("minPrimaries: 1", "minPrimaries: one", "p.yaml:13: minPrimaries: expected a whole number, got 'one'")]
    [InlineData("  - name: offsite", "  - name: local", "p.yaml:11: targets[1].name: duplicate target 'local' (already listed as targets[0])")]
    [InlineData("paths: [/home/alice, /etc]", "paths: [home/alice, /etc]", "p.yaml:5: sources[0].paths[0]: 'home/alice' is not an absolute path")]
    [InlineData("paths: [/home/alice, /etc]", "paths: []", "p.yaml:5: sources[0].paths: must list at least one item")]
    [InlineData("include: [\"**/*\"]", "include: [\"/etc/*\"]", "p.yaml:6: sources[0].include[0]: glob '/etc/*' must be relative to each path (e.g. **/*.log)")]
    [InlineData("  - type: files", "  - type: oracle", "p.yaml:4: sources[0].type: unknown source type 'oracle' (supported: files, postgres, mariadb, sqlite)")]
    [InlineData("paths: [/home/alice, /etc]", "paths: [/home/alice, /srv/alice/]",
        "p.yaml:5: sources[0].paths[1]: '/srv/alice/' would be stored as 'alice', like '/home/alice' (sources[0].paths[0]); paths of a policy need distinct last segments")]
    [InlineData("paths: [/home/alice, /etc]", "paths: [/, /etc]",
        "p.yaml:5: sources[0].paths[0]: '/' has no last segment to store it under in the snapshot; list the directories below it instead")]
    [InlineData("keepDaily: 14", "keepDaily: -1", "p.yaml:17: retention.keepDaily: must not be negative (got -1)")]
    [InlineData("sampleFiles: 0", "sampleFiles: -5", "p.yaml:18: drill.sampleFiles: must not be negative (got -5)")]
    [InlineData("retention: { keepLast: 7, keepDaily: 14, keepWeekly: 8, keepMonthly: 12, keepYearly: 0 }", "retention: 7",
        "p.yaml:17: retention: expected a mapping (key: value lines), got '7'")]
    [InlineData("description: Alice's home dir", "description: [a, b]", "p.yaml:2: description: expected a text value, got a list")]
    public void Each_error_kind_is_reported_with_file_line_and_field(string oldLine, string newLine, string expected)
    {
        Assert.Equal([expected], PolicyYaml.Problems(PolicyYaml.With(oldLine, newLine)));
    }

    [Fact]
    public void Paths_of_two_sources_that_would_share_a_top_level_name_are_reported_at_the_second()
    {
        var yaml = PolicyYaml.With("    exclude: [\"**/.cache/**\"]\n", """
                exclude: ["**/.cache/**"]
              - type: files
                paths: [/var/log, /srv/etc]
                include: ["*.log"]

            """);

        Assert.Equal(
            ["p.yaml:9: sources[1].paths[1]: '/srv/etc' would be stored as 'etc', like '/etc' (sources[0].paths[1]); paths of a policy need distinct last segments"],
            PolicyYaml.Problems(yaml));
        Assert.Empty(PolicyYaml.Parse(yaml.Replace("/srv/etc", "/srv/etc2", StringComparison.Ordinal)).Problems);
    }

    [Fact]
    public void Unknown_target_names_are_checked_against_configuration()
    {
        var problems = PolicyYaml.Problems(PolicyYaml.Full, new HashSet<string> { "local", "nas" });

        Assert.Equal(["p.yaml:11: targets[1].name: unknown target 'offsite' (configured: local, nas)"], problems);
    }

    [Fact]
    public void Duplicate_policy_names_across_documents_are_reported_at_the_second()
    {
        var problems = PolicyYaml.Problems(PolicyYaml.Full + "---\n" + PolicyYaml.Full);

        Assert.Equal(["p.yaml:20: name: duplicate policy name 'home' (first defined at line 1)"], problems);
    }

    [Fact]
    public void Misspelt_key_is_both_unknown_and_leaves_the_real_one_missing()
    {
        Assert.Equal(
            ["p.yaml:11: targets[1].role: is required", "p.yaml:12: targets[1].rol: unknown key (did you mean 'role'?)"],
            PolicyYaml.Problems(PolicyYaml.With("    role: replica", "    rol: replica")));
    }

    [Fact]
    public void Yaml_syntax_error_reports_the_line_from_the_parser()
    {
        var yaml = PolicyYaml.With("rto: 1h", "rto: 1h: 2h");

        Assert.Equal(["p.yaml:16: YAML syntax error: While scanning a plain scalar value, found invalid mapping."], PolicyYaml.Problems(yaml));
    }

    [Fact]
    public void Yaml_error_without_a_position_reports_where_parsing_stopped()
    {
        var yaml = PolicyYaml.With("rto: 1h", "rto: [1h");

        Assert.Equal(["p.yaml:16: YAML syntax error: parsing stopped after this line (an unclosed [, { or quote?)"], PolicyYaml.Problems(yaml));
    }

    [Fact]
    public void Document_that_is_not_a_mapping_is_reported()
    {
        Assert.Equal(["p.yaml:1: a policy document must be a mapping of fields, got a list"], PolicyYaml.Problems("- name: home\n"));
    }

    [Fact]
    public void Every_problem_in_a_file_is_reported_in_line_order()
    {
        var yaml = PolicyYaml.Full
            .Replace("name: home", "name: Home", StringComparison.Ordinal)
            .Replace("/home/alice, /etc", "/home/alice, etc", StringComparison.Ordinal)
            .Replace("  - name: offsite", "  - name: local", StringComparison.Ordinal)
            .Replace("Europe/Berlin", "Mars/Olympus", StringComparison.Ordinal)
            .Replace("rpo: 24h", "rpo: -1h", StringComparison.Ordinal)
            .Replace("rto: 1h", "rto: 0s\nbogus: true", StringComparison.Ordinal)
            .Replace("keepYearly: 0", "keepYearly: -2", StringComparison.Ordinal);

        Assert.Equal(
            [
                "p.yaml:1: name: 'Home' is not a valid name (lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters)",
                "p.yaml:5: sources[0].paths[1]: 'etc' is not an absolute path",
                "p.yaml:11: targets[1].name: duplicate target 'local' (already listed as targets[0])",
                "p.yaml:14: schedule.timeZone: unknown time zone 'Mars/Olympus' (use an IANA id such as Europe/Berlin or UTC)",
                "p.yaml:15: rpo: '-1h' is not a duration (use e.g. 90s, 15m, 24h, 7d, 1h30m)",
                "p.yaml:16: rto: must be greater than zero",
                "p.yaml:17: bogus: unknown key",
                "p.yaml:18: retention.keepYearly: must not be negative (got -2)",
            ],
            PolicyYaml.Problems(yaml));
    }

    [Fact]
    public void Missing_required_fields_are_all_reported()
    {
        Assert.Equal(
            [
                "p.yaml:1: name: is required",
                "p.yaml:1: sources: is required",
                "p.yaml:1: targets: is required",
                "p.yaml:1: schedule: is required",
                "p.yaml:1: rpo: is required",
                "p.yaml:1: rto: is required",
            ],
            PolicyYaml.Problems("description: nothing else\n"));
    }

    [Fact]
    public void Duplicate_keys_are_reported_not_silently_overwritten()
    {
        var yaml = PolicyYaml.With("rto: 1h", "rto: 1h\nrpo: 12h");

        Assert.Equal(["p.yaml:17: YAML syntax error: duplicate key 'rpo' (each key may appear once per mapping)"], PolicyYaml.Problems(yaml));
    }
}
