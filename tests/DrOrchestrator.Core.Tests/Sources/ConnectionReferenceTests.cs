using DrOrchestrator.Core.Sources;

namespace DrOrchestrator.Core.Tests.Sources;

public sealed class ConnectionReferenceTests
{
    private static readonly string[] Keys = ["host", "port", "user", "database"];

    [Fact]
    public void Pairs_are_read_with_synonyms_and_case_folded_keys()
    {
        var pairs = ConnectionReference.Parse("Host=db2  port=6543\tusername=admin dbname=orders_restored", Keys, "e.g.");

        Assert.Equal(new Dictionary<string, string> { ["host"] = "db2", ["port"] = "6543", ["user"] = "admin", ["database"] = "orders_restored" }, pairs);
        Assert.Equal(6543, ConnectionReference.Port(pairs, 5432));
        Assert.Equal(5432, ConnectionReference.Port(new Dictionary<string, string>(), 5432));
    }

    [Theory]
    [InlineData("host=db password=hunter2", "--to-db: a password does not go into the connection reference; pass --password-env VAR (or use the client's own password file)")]
    [InlineData("host=db sslmode=require", "--to-db: 'sslmode' is not understood (expected host=… port=… user=… database=…, e.g. 'e.g.')")]
    [InlineData("db2", "--to-db: 'db2' is not understood (expected host=… port=… user=… database=…, e.g. 'e.g.')")]
    [InlineData("host=a host=b", "--to-db: host is given twice")]
    public void Bad_references_are_refused_with_one_line(string reference, string expected)
    {
        var e = Assert.Throws<DatabaseRestoreRefusedException>(() => ConnectionReference.Parse(reference, Keys, "e.g."));

        Assert.Equal(expected, e.Message);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_port_that_is_not_a_number_is_refused()
    {
        var e = Assert.Throws<DatabaseRestoreRefusedException>(() => ConnectionReference.Port(new Dictionary<string, string> { ["port"] = "70000" }, 5432));

        Assert.Equal("--to-db: port '70000' is not a port number (1-65535)", e.Message);
    }
}
