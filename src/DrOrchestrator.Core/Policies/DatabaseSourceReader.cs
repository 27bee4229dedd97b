using YamlDotNet.RepresentationModel;

namespace DrOrchestrator.Core.Policies;

/// <summary>
/// Reads a <c>postgres</c>, <c>mariadb</c> or <c>sqlite</c> source. Every problem is reported as
/// <c>file:line: field: message</c>; a password written into the policy is refused outright (it
/// would end up in the catalog's copy of the policy text).
/// </summary>
internal static class DatabaseSourceReader
{
    private static readonly string[] PasswordKeys = ["password", "passwd", "pwd"];

    public static DatabaseSource? Read(YamlMappingReader reader, string type)
    {
        int before = reader.Problems.Count;
        foreach (var key in PasswordKeys)
        {
            if (reader.Get(key, required: false) is { } secret)
            {
                reader.Problems.Add(secret, reader.FieldPath(key),
                    "a password never goes into a policy (it would be stored in the catalog); name an environment variable with passwordEnvironmentVariable or a file with passwordFile");
            }
        }

        var name = reader.String("name", required: false) ?? type;
        if (!PolicyDocumentReader.IsValidName(name))
        {
            reader.Problems.Add(reader.KeyLine("name"), reader.FieldPath("name"),
                $"'{name}' is not a valid source name (lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters)");
        }

        var source = type == DatabaseSource.SqliteType ? ReadSqlite(reader, type, name) : ReadServer(reader, type, name);
        return reader.Problems.Count == before ? source : null;
    }

    /// <summary>The snapshot entry names database sources take (their <c>name</c>, default the type), for the collision check.</summary>
    public static IEnumerable<(string Field, YamlNode Node, string Name)> EntryNames(YamlSequenceNode sources)
    {
        for (int i = 0; i < sources.Children.Count; i++)
        {
            if (sources.Children[i] is not YamlMappingNode mapping
                || SourceReaders.Child(mapping, "type") is not YamlScalarNode { Value: { } type } typeNode
                || !DatabaseSource.Types.Contains(type, StringComparer.Ordinal))
            {
                continue;
            }

            if (SourceReaders.Child(mapping, "name") is YamlScalarNode { Value: { } name } nameNode)
            {
                yield return ($"sources[{i}].name", nameNode, name);
            }
            else
            {
                yield return ($"sources[{i}].type", typeNode, type);
            }
        }
    }

    private static DatabaseSource? ReadSqlite(YamlMappingReader reader, string type, string name)
    {
        var path = reader.String("path", required: true);
        if (path is not null && !System.IO.Path.IsPathFullyQualified(path))
        {
            reader.Problems.Add(reader.KeyLine("path"), reader.FieldPath("path"), $"'{path}' is not an absolute path");
        }

        return path is null ? null : new DatabaseSource(type, name, null, null, null, null, [], null, null, false, false, null, path);
    }

    private static DatabaseSource? ReadServer(YamlMappingReader reader, string type, string name)
    {
        var host = reader.String("host", required: false);
        var socket = reader.String("socket", required: false);
        if (host is null && socket is null)
        {
            reader.Problems.Add(reader.Line, reader.FieldPath("host"), "is required (or give socket: the path of the server's unix socket)");
        }
        else if (host is not null && socket is not null)
        {
            reader.Problems.Add(reader.KeyLine("socket"), reader.FieldPath("socket"), "give host or socket, not both");
        }

        if (socket is not null && !System.IO.Path.IsPathFullyQualified(socket))
        {
            reader.Problems.Add(reader.KeyLine("socket"), reader.FieldPath("socket"), $"'{socket}' is not an absolute path");
        }

        var port = reader.Int("port", required: false);
        if (port is < 1 or > 65535)
        {
            reader.Problems.Add(reader.KeyLine("port"), reader.FieldPath("port"), $"{port} is not a port number (1-65535)");
        }

        var user = reader.String("user", required: false);
        var databases = ReadDatabases(reader);
        var passwordVariable = reader.String("passwordEnvironmentVariable", required: false);
        var passwordFile = reader.String("passwordFile", required: false);
        if (passwordVariable is not null && passwordFile is not null)
        {
            reader.Problems.Add(reader.KeyLine("passwordFile"), reader.FieldPath("passwordFile"), "give passwordEnvironmentVariable or passwordFile, not both");
        }

        if (passwordFile is not null && !System.IO.Path.IsPathFullyQualified(passwordFile))
        {
            reader.Problems.Add(reader.KeyLine("passwordFile"), reader.FieldPath("passwordFile"), $"'{passwordFile}' is not an absolute path");
        }

        var globals = Bool(reader, "globals");
        bool fromReplica = false;
        TimeSpan? maxLag = null;
        int parallel = DatabaseSource.DefaultParallel;
        if (type == DatabaseSource.PostgresType)
        {
            if (reader.Int("parallel", required: false) is { } n)
            {
                if (n is < 1 or > DatabaseSource.MaxParallel)
                {
                    reader.Problems.Add(reader.KeyLine("parallel"), reader.FieldPath("parallel"), $"{n} is not a number of connections between 1 and {DatabaseSource.MaxParallel}");
                }
                else
                {
                    parallel = n;
                }
            }

            fromReplica = Bool(reader, "fromReplica");
            var lagText = reader.String("maxReplicaLag", required: false);
            if (lagText is not null)
            {
                if (!PolicyDuration.TryParse(lagText, out var lag) || lag <= TimeSpan.Zero)
                {
                    reader.Problems.Add(reader.KeyLine("maxReplicaLag"), reader.FieldPath("maxReplicaLag"), $"'{lagText}' is not a positive duration (e.g. 30s, 5m)");
                }
                else if (!fromReplica)
                {
                    reader.Problems.Add(reader.KeyLine("maxReplicaLag"), reader.FieldPath("maxReplicaLag"), "only applies with fromReplica: true");
                }
                else
                {
                    maxLag = lag;
                }
            }
        }

        return new DatabaseSource(type, name, host, port, socket, user, databases ?? [], passwordVariable, passwordFile, globals, fromReplica, maxLag, null) { Parallel = parallel };
    }

    /// <summary><c>databases: all</c> or a list of names; empty result = all.</summary>
    private static List<string>? ReadDatabases(YamlMappingReader reader)
    {
        var node = reader.Get("databases", required: true);
        if (node is null)
        {
            return null;
        }

        if (node is YamlScalarNode { Value: "all" })
        {
            return [];
        }

        if (node is YamlScalarNode)
        {
            reader.Problems.Add(node, reader.FieldPath("databases"), $"expected 'all' or a list of database names, got '{((YamlScalarNode)node).Value}'");
            return null;
        }

        var list = reader.StringList("databases", required: true);
        if (list is null)
        {
            return null;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (value, item, field) in list)
        {
            if (value.Length == 0 || value.Contains('/') || value.Contains('\0'))
            {
                reader.Problems.Add(item, field, $"'{value}' is not a database name");
            }
            else if (!seen.Add(value))
            {
                reader.Problems.Add(item, field, $"'{value}' is listed twice");
            }
        }

        return [.. list.Select(d => d.Value)];
    }

    private static bool Bool(YamlMappingReader reader, string key)
    {
        var text = reader.String(key, required: false);
        switch (text)
        {
            case null or "false":
                return false;
            case "true":
                return true;
            default:
                reader.Problems.Add(reader.KeyLine(key), reader.FieldPath(key), $"expected true or false, got '{text}'");
                return false;
        }
    }
}
