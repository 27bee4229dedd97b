using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Tests.Security;

public sealed class SecretReferenceTests
{
    [Fact]
    public void Resolves_an_environment_variable()
    {
        var name = "DRORCH_TEST_SECRET_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "s3cret");
        try
        {
            var reference = new SecretReference(name, null);
            Assert.Equal("s3cret", reference.Resolve());
            Assert.Equal($"env:{name}", reference.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Resolves_a_file_without_its_trailing_newline()
    {
        using var dir = new TempDir();
        var path = dir.Sub("key");
        File.WriteAllText(path, "pass phrase\n");
        Assert.Equal("pass phrase", new SecretReference(null, path).Resolve());
        Assert.Equal($"file:{path}", new SecretReference(null, path).ToString());
    }

    [Fact]
    public void Missing_variable_or_file_fails_with_one_line_naming_it()
    {
        var e1 = Assert.Throws<SecretNotFoundException>(() => new SecretReference("DRORCH_TEST_UNSET_VAR", null).Resolve());
        Assert.Equal("secret environment variable DRORCH_TEST_UNSET_VAR is not set or empty", e1.Message);

        var e2 = Assert.Throws<SecretNotFoundException>(() => new SecretReference(null, "/nonexistent/drorch.key").Resolve());
        Assert.StartsWith("secret file /nonexistent/drorch.key cannot be read:", e2.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e2.Message);

        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("empty"), "\n");
        var e3 = Assert.Throws<SecretNotFoundException>(() => new SecretReference(null, dir.Sub("empty")).Resolve());
        Assert.Equal($"secret file {dir.Sub("empty")} is empty", e3.Message);
    }
}
