using DrOrchestrator.Storage.AzureBlob;

namespace DrOrchestrator.Storage.Tests.AzureBlob;

public sealed class AzureBlobTargetOptionsTests
{
    [Fact]
    public void Valid_options_have_no_errors()
    {
        Assert.Empty(new AzureBlobTargetOptions { Container = "backups", Prefix = "prod", AccessTier = "Cool", ServiceUri = "https://acct.blob.core.windows.net" }.Validate());
    }

    [Fact]
    public void Every_problem_is_reported_naming_its_field()
    {
        var options = new AzureBlobTargetOptions
        {
            Container = "Bad--Name",
            Prefix = "/a\\b",
            AccessTier = "Archive",
            UploadChecksum = "SHA1",
            BlockSizeMiB = 0,
            ParallelBlocks = 17,
            SinglePutMaxMiB = 5001,
        };

        Assert.Equal(
            [
                "Container: must be 3-63 lowercase letters, digits or single '-' (got 'Bad--Name').",
                "Prefix: must be '/'-separated segments of [A-Za-z0-9._-] (got '/a\\b').",
                "AccessTier: 'Archive' blobs cannot be read without rehydration (hours), so restores and drills would fail; use Cold.",
                "UploadChecksum: must be MD5, StorageCrc64 or None (got 'SHA1').",
                "BlockSizeMiB: must be between 1 and 100 (got 0).",
                "ParallelBlocks: must be between 1 and 16 (got 17).",
                "SinglePutMaxMiB: must be between 0 and 5000 (got 5001).",
                "ConnectionStringEnvironmentVariable, SasUrlEnvironmentVariable, ServiceUri: set exactly one (ServiceUri uses DefaultAzureCredential); 0 are set.",
            ],
            options.Validate());
    }

    [Fact]
    public void Environment_variables_must_be_set_and_are_never_echoed()
    {
        Environment.SetEnvironmentVariable("DRORCH_TEST_BAD_SAS", "not a url?sig=secret");

        Assert.Equal(
            ["ConnectionStringEnvironmentVariable: environment variable 'DRORCH_TEST_UNSET_3' is not set."],
            new AzureBlobTargetOptions { Container = "abc", ConnectionStringEnvironmentVariable = "DRORCH_TEST_UNSET_3" }.Validate());
        Assert.Equal(
            ["SasUrlEnvironmentVariable: environment variable 'DRORCH_TEST_BAD_SAS' does not hold an absolute URL."],
            new AzureBlobTargetOptions { Container = "abc", SasUrlEnvironmentVariable = "DRORCH_TEST_BAD_SAS" }.Validate());
    }

    [Fact]
    public void A_malformed_connection_string_is_reported_by_variable_name()
    {
        Environment.SetEnvironmentVariable("DRORCH_TEST_BAD_CONNECTION", "AccountKey=secret-value;nonsense");

        var ex = Assert.Throws<ArgumentException>(() =>
            AzureBlobObjectStore.Create(new AzureBlobTargetOptions { Container = "abc", ConnectionStringEnvironmentVariable = "DRORCH_TEST_BAD_CONNECTION" }));

        Assert.StartsWith(
            "Invalid Azure target: ConnectionStringEnvironmentVariable: environment variable 'DRORCH_TEST_BAD_CONNECTION' does not hold a valid connection string.",
            ex.Message,
            StringComparison.Ordinal);
        Assert.DoesNotContain("secret-value", ex.ToString(), StringComparison.Ordinal);
    }
}
