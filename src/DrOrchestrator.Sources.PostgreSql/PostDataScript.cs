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

    [GeneratedRegex(@"^SET ([a-z_]+) (=|TO) .*;$")]
    private static partial Regex SetPattern();

    // Greedy: the entry's own type is the last "; Type: …; Schema: " of its header (a name may contain that text).
    [GeneratedRegex(@"^-- Name: .*; Type: ([A-Z ]+); Schema: ")]
    private static partial Regex TypePattern();
}
