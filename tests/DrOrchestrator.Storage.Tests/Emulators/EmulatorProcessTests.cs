namespace DrOrchestrator.Storage.Tests.Emulators;

public sealed class EmulatorProcessTests
{
    [Fact]
    public async Task A_missing_emulator_fails_with_what_to_run()
    {
        await using var emulator = new EmulatorProcess("nothing", Path.Combine("no-such-package", "main.js"), (_, _) => []);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(emulator.StartAsync);

        Assert.Equal(
            $"The nothing emulator is not installed ({Path.Combine(RepositoryPaths.NodeModules, "no-such-package", "main.js")} is missing). "
            + $"Run `npm ci --prefix tests` in {RepositoryPaths.Root}.",
            ex.Message);
    }

    [Fact]
    public async Task A_server_that_exits_at_once_fails_with_its_output()
    {
        // s3rver without its required --directory argument prints usage and exits.
        await using var emulator = new EmulatorProcess("s3rver", Path.Combine("s3rver", "bin", "s3rver.js"), (_, _) => []);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(emulator.StartAsync);

        Assert.StartsWith("The s3rver emulator exited with code ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("npm ci --prefix tests", ex.Message, StringComparison.Ordinal);
    }
}
