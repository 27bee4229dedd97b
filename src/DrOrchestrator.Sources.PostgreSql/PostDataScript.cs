using System.Text;
using System.Text.RegularExpressions;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// A plain <c>pg_dump --section=post-data</c> script split for a parallel restore, as
/// <c>pg_restore -j</c> schedules the same entries: the index builds (entries of type
/// <c>INDEX</c> and <c>CONSTRAINT</c> — primary keys, unique and exclusion constraints, each
/// touching one table) can run at once on several connections; everything else (foreign keys,
/// which need those indexes; triggers; partition index attachments; comments and grants on what
/// was just built) follows in dump order. Entries are found by the header pg_dump writes before
/// each one (<c>--</c> / <c>-- Name: …; Type: …; Schema: …</c>); the <c>SET</c> lines pg_dump
/// writes between entries (<c>default_tablespace</c>, <c>default_table_access_method</c>, the
/// search path) are replayed before each build, since a build runs on another connection.
/// </summary>
internal sealed partial record PostDataScript(IReadOnlyList<string> Builds, string Rest)
{
    public static PostDataScript Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n');
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        var builds = new List<string>();
        var rest = new StringBuilder(text.Length);
        int i = 0;
        // The preamble (SET lines, psql's \restrict) goes to the rest as it is, and sets the scene for the builds.
        for (; i < lines.Length && !IsHeader(lines, i); i++)
        {
            Track(settings, lines[i]);
            rest.Append(lines[i]).Append('\n');
        }

        while (i < lines.Length)
        {
            var type = TypePattern().Match(lines[i + 1]) is { Success: true } m ? m.Groups[1].Value : "";
            var parallel = type is "INDEX" or "CONSTRAINT";
            var build = parallel ? new StringBuilder(string.Join('\n', settings.Values)).Append('\n') : null;
            int end = i + 1;
            while (end < lines.Length && !IsHeader(lines, end))
            {
                end++;
            }

            for (int j = i; j < end; j++)
            {
                var line = lines[j];
                var isSetting = Track(settings, line);
                if (build is null)
                {
                    rest.Append(line).Append('\n');
                }
                else if (line.StartsWith('\\'))
                {
                    // psql meta-commands (\restrict/\unrestrict) belong to the psql part.
                    rest.Append(line).Append('\n');
                }
                else
                {
                    build.Append(line).Append('\n');
                    if (isSetting)
                    {
                        // The psql part must see the same settings for the entries after this one.
                        rest.Append(line).Append('\n');
                    }
                }
            }

            if (build is not null)
            {
                builds.Add(build.ToString());
            }

            i = end;
        }

        return new PostDataScript(builds, rest.ToString());
    }

    /// <summary>
    /// A build that is exactly a plain primary key of a table in <paramref name="tables"/> (pg_dump's
    /// <c>ALTER TABLE ONLY t ADD CONSTRAINT n PRIMARY KEY (cols);</c>, no options) split in two
    /// (§70): the index build, <c>CREATE UNIQUE INDEX n ON t USING btree (cols)</c> with the
    /// entry's settings, which takes a SHARE lock, so the table's verification (ACCESS SHARE) reads
    /// beside it; and <c>ADD CONSTRAINT n PRIMARY KEY USING INDEX n</c>, a catalog change, whose
    /// ACCESS EXCLUSIVE lock is held for a moment only. The result in the catalog is the same
    /// constraint on the same index (name, columns, tablespace), so a pg_dump of the restored
    /// database is unchanged. Null for anything else (options, INCLUDE, DEFERRABLE, quoted names
    /// with spaces, partitioned tables, which are not in <paramref name="tables"/>): built as dumped.
    /// </summary>
    public static (string IndexBuild, string Constraint)? PrimaryKeyThroughIndex(string build, IReadOnlySet<string> tables)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(tables);
        var matches = PrimaryKeyPattern().Matches(build);
        if (matches.Count != 1 || !tables.Contains(matches[0].Groups["table"].Value))
        {
            return null;
        }

        var m = matches[0];
        var (table, name, columns) = (m.Groups["table"].Value, m.Groups["name"].Value, m.Groups["columns"].Value);
        var index = string.Concat(build.AsSpan(0, m.Index), $"CREATE UNIQUE INDEX {name} ON {table} USING btree ({columns});", build.AsSpan(m.Index + m.Length));
        return (index, $"ALTER TABLE ONLY {table}\n    ADD CONSTRAINT {name} PRIMARY KEY USING INDEX {name};\n");
    }

    private static bool IsHeader(string[] lines, int i) =>
        lines[i] == "--" && i + 1 < lines.Length && lines[i + 1].StartsWith("-- Name: ", StringComparison.Ordinal);

    /// <summary>Remembers a session setting line; true when the line is one.</summary>
    private static bool Track(Dictionary<string, string> settings, string line)
    {
        if (SetPattern().Match(line) is { Success: true } set)
        {
            settings[set.Groups[1].Value] = line;
            return true;
        }

        if (line.StartsWith("SELECT pg_catalog.set_config('search_path'", StringComparison.Ordinal))
        {
            settings["search_path"] = line;
            return true;
        }

        return false;
    }

    [GeneratedRegex(@"^ALTER TABLE ONLY (?<table>[^\s()]+)\n    ADD CONSTRAINT (?<name>[^\s()]+) PRIMARY KEY \((?<columns>[^()\n]+)\);$", RegexOptions.Multiline)]
    private static partial Regex PrimaryKeyPattern();

    [GeneratedRegex(@"^SET ([a-z_]+) (=|TO) .*;$")]
    private static partial Regex SetPattern();

    // Greedy: the entry's own type is the last "; Type: …; Schema: " of its header (a name may contain that text).
    [GeneratedRegex(@"^-- Name: .*; Type: ([A-Z ]+); Schema: ")]
    private static partial Regex TypePattern();
}
