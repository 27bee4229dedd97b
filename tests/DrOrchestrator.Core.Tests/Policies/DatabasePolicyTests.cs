using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Core.Tests.Policies;

/// <summary>Database sources in a policy: the fields, their validation as file:line: field: message, and no password in the text.</summary>
public sealed class DatabasePolicyTests
{
    private const string Policy = """
        name: shop
        sources:
          - type: postgres
            name: pg
            host: db1.internal
            port: 5433
            user: backup
            databases: [orders, billing]
            passwordEnvironmentVariable: SHOP_PG_PASSWORD
            globals: true
          - type: mariadb
            socket: /run/mysqld/mysqld.sock
            user: root
            databases: all
          - type: sqlite
            name: app-db
            path: /srv/app/app.db
          - type: files
            paths: [/etc]
        targets:
          - name: local
            role: primary
        schedule: { cron: "0 0 2 * * ?", timeZone: UTC }
        rpo: 24h
        rto: 1h

        """;

    [Fact]
    public void Every_database_field_is_read()
    {
        var result = PolicyFileParser.Parse(new StringReader(Policy), "p.yaml", null);

        Assert.Empty(result.Problems);
        var sources = Assert.Single(result.Policies).Sources;
        var pg = Assert.IsType<DatabaseSource>(sources[0]);
        Assert.Equal(("postgres", "pg", "db1.internal", 5433, "backup"), (pg.Type, pg.Name, pg.Host, pg.Port, pg.User));
        Assert.Equal(["orders", "billing"], pg.Databases);
        Assert.Equal("SHOP_PG_PASSWORD", pg.PasswordEnvironmentVariable);
        Assert.True(pg.Globals);
        Assert.False(pg.FromReplica);
        Assert.Equal(DatabaseSource.DefaultParallel, pg.Parallel);
        var maria = Assert.IsType<DatabaseSource>(sources[1]);
        Assert.Equal(("mariadb", "mariadb", "/run/mysqld/mysqld.sock", true), (maria.Type, maria.Name, maria.Socket, maria.AllDatabases));
        Assert.Null(maria.Password);
        var sqlite = Assert.IsType<DatabaseSource>(sources[2]);
        Assert.Equal(("sqlite", "app-db", "/srv/app/app.db"), (sqlite.Type, sqlite.Name, sqlite.Path));
    }

    [Fact]
    public void Parallel_is_read_and_kept_in_the_canonical_text()
    {
        var yaml = Policy.Replace("    globals: true", "    globals: true\n    parallel: 4", StringComparison.Ordinal);
        var policy = Assert.Single(PolicyFileParser.Parse(new StringReader(yaml), "p.yaml", null).Policies);
        Assert.Equal(4, Assert.IsType<DatabaseSource>(policy.Sources[0]).Parallel);

        var again = Assert.Single(PolicyFileParser.Parse(new StringReader(PolicySerializer.Serialize(policy)), "canonical.yaml", null).Policies);

        Assert.Equal(4, Assert.IsType<DatabaseSource>(again.Sources[0]).Parallel);
    }

    [Fact]
    public void The_canonical_text_round_trips_and_holds_no_secret_value()
    {
        Environment.SetEnvironmentVariable("SHOP_PG_PASSWORD", "s3cret-value");
        var policy = Assert.Single(PolicyFileParser.Parse(new StringReader(Policy), "p.yaml", null).Policies);

        var text = PolicySerializer.Serialize(policy);
        var again = Assert.Single(PolicyFileParser.Parse(new StringReader(text), "canonical.yaml", null).Policies);

        Assert.Equal(text, PolicySerializer.Serialize(again));
        Assert.Contains("passwordEnvironmentVariable: SHOP_PG_PASSWORD", text, StringComparison.Ordinal);
        Assert.Contains("databases: all", text, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("    passwordEnvironmentVariable: SHOP_PG_PASSWORD", "    password: hunter2",
        "p.yaml:9: sources[0].password: a password never goes into a policy (it would be stored in the catalog); name an environment variable with passwordEnvironmentVariable or a file with passwordFile")]
    [InlineData("    port: 5433", "    port: 70000", "p.yaml:6: sources[0].port: 70000 is not a port number (1-65535)")]
    [InlineData("    databases: [orders, billing]", "    databases: some", "p.yaml:8: sources[0].databases: expected 'all' or a list of database names, got 'some'")]
    [InlineData("    databases: [orders, billing]", "    databases: [orders, orders]", "p.yaml:8: sources[0].databases[1]: 'orders' is listed twice")]
    [InlineData("    databases: [orders, billing]", "", "p.yaml:3: sources[0].databases: is required")]
    [InlineData("    host: db1.internal", "", "p.yaml:3: sources[0].host: is required (or give socket: the path of the server's unix socket)")]
    [InlineData("    socket: /run/mysqld/mysqld.sock", "    socket: run/mysqld.sock", "p.yaml:12: sources[1].socket: 'run/mysqld.sock' is not an absolute path")]
    [InlineData("    globals: true", "    globals: yes please", "p.yaml:10: sources[0].globals: expected true or false, got 'yes please'")]
    [InlineData("    globals: true", "    maxReplicaLag: 30s", "p.yaml:10: sources[0].maxReplicaLag: only applies with fromReplica: true")]
    [InlineData("    globals: true", "    fromReplica: true\\n    maxReplicaLag: soon", "p.yaml:11: sources[0].maxReplicaLag: 'soon' is not a positive duration (e.g. 30s, 5m)")]
    [InlineData("    globals: true", "    parallel: 0", "p.yaml:10: sources[0].parallel: 0 is not a number of connections between 1 and 32")]
    [InlineData("    globals: true", "    parallel: many", "p.yaml:10: sources[0].parallel: expected a whole number, got 'many'")]
    [InlineData("    user: root", "    user: root\n    parallel: 4", "p.yaml:14: sources[1].parallel: unknown key")]
    [InlineData("    path: /srv/app/app.db", "    path: app.db", "p.yaml:17: sources[2].path: 'app.db' is not an absolute path")]
    [InlineData("    name: app-db", "    name: pg", "p.yaml:16: sources[2].name: 'pg' is already the snapshot entry of sources[0].name; give this source another name")]
    [InlineData("    paths: [/etc]", "    paths: [/srv/pg]", "p.yaml:19: sources[3].paths[0]: '/srv/pg' would be stored as 'pg', like 'pg' (sources[0].name); paths of a policy need distinct last segments")]
    [InlineData("    user: root", "    user: root\\n    fromReplica: true", "p.yaml:14: sources[1].fromReplica: unknown key")]
    public void Each_database_error_is_reported_with_file_line_and_field(string oldLine, string newLine, string expected)
    {
        Assert.Contains(oldLine, Policy, StringComparison.Ordinal);
        var yaml = Policy.Replace(oldLine, newLine.Replace("\\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);

        var result = PolicyFileParser.Parse(new StringReader(yaml), "p.yaml", null);

        Assert.Empty(result.Policies);
        Assert.Equal([expected], result.Problems.Select(p => p.ToString()));
    }
}
