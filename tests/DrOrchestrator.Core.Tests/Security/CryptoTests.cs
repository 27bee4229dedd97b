using System.Buffers;
using System.Security.Cryptography;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Tests.Security;

public sealed class CryptoTests
{
    [Fact]
    public void Aead_round_trips_and_detects_tampering_and_wrong_associated_data()
    {
        var key = MasterKey.Generate();
        using var aead = key.CreateAead();
        var plain = TestSupport.RandomBytes(10_000, 1);
        var sealedData = aead.Seal(plain, "ad"u8);

        Assert.Equal(plain.Length + Aead.Overhead, sealedData.Length);
        Assert.Equal(plain, aead.Open(sealedData, "ad"u8));
        Assert.ThrowsAny<CryptographicException>(() => aead.Open(sealedData, "other"u8));
        sealedData[500] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => aead.Open(sealedData, "ad"u8));
    }

    [Fact]
    public void Same_plaintext_seals_differently_each_time()
    {
        using var aead = MasterKey.Generate().CreateAead();
        Assert.NotEqual(aead.Seal("x"u8, "ad"u8), aead.Seal("x"u8, "ad"u8));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BlobCodec_round_trips_and_stores_incompressible_data_uncompressed(bool compressible)
    {
        var key = MasterKey.Generate();
        using var codec = new BlobCodec(key, 3, ArrayPool<byte>.Shared);
        var plain = compressible ? new byte[100_000] : TestSupport.RandomBytes(100_000, 2);
        var id = BlobId.Hash(plain);

        var blob = codec.Seal(BlobType.Data, id, plain);
        var sealedBytes = blob.Buffer.AsSpan(0, blob.Length).ToArray();
        var location = new BlobLocation(0, 0, (uint)blob.Length, blob.PlainLength, BlobType.Data, blob.Compressed);
        var opened = codec.Open(id, location, sealedBytes);

        Assert.Equal(compressible, blob.Compressed);
        Assert.Equal(plain, opened.AsSpan(0, plain.Length).ToArray());
        if (compressible)
        {
            Assert.True(blob.Length < 1000, $"zeros sealed to {blob.Length} bytes");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BlobCodec_seals_in_place_and_opens_again(bool compressible)
    {
        using var codec = new BlobCodec(MasterKey.Generate(), 1, ArrayPool<byte>.Shared);
        var plain = compressible ? new byte[70_000] : TestSupport.RandomBytes(70_000, 4);
        var id = BlobId.Hash(plain);
        var buffer = new byte[plain.Length + Aead.Overhead];
        plain.CopyTo(buffer.AsSpan(Aead.NonceSize));

        var blob = codec.SealInPlace(BlobType.Data, id, buffer, plain.Length);
        var location = new BlobLocation(0, 0, (uint)blob.Length, blob.PlainLength, BlobType.Data, blob.Compressed);
        var opened = codec.Open(id, location, buffer.AsSpan(0, blob.Length));

        Assert.Same(buffer, blob.Buffer);
        Assert.Equal(compressible, blob.Compressed);
        Assert.Equal(plain, opened.AsSpan(0, plain.Length).ToArray());
    }

    [Fact]
    public void A_blob_cannot_be_opened_as_another_type_or_id()
    {
        var key = MasterKey.Generate();
        using var codec = new BlobCodec(key, 3, ArrayPool<byte>.Shared);
        var plain = TestSupport.RandomBytes(1000, 3);
        var id = BlobId.Hash(plain);
        var blob = codec.Seal(BlobType.Data, id, plain);
        var sealedBytes = blob.Buffer.AsSpan(0, blob.Length).ToArray();

        var asTree = new BlobLocation(0, 0, (uint)blob.Length, blob.PlainLength, BlobType.Tree, blob.Compressed);
        var asData = asTree with { Type = BlobType.Data };
        Assert.ThrowsAny<CryptographicException>(() => codec.Open(id, asTree, sealedBytes));
        Assert.ThrowsAny<CryptographicException>(() => codec.Open(BlobId.Hash([1]), asData, sealedBytes));
    }

    [Fact]
    public void KeyFile_opens_only_with_the_right_passphrase()
    {
        var master = MasterKey.Generate();
        var file = KeyFile.Create(RepositoryKey.FromPassphrase("right"), master, 1000);
        var parsed = KeyFile.TryParse(file.Serialize())!;

        Assert.Equal(master.Bytes.ToArray(), parsed.TryOpen(RepositoryKey.FromPassphrase("right"))!.Bytes.ToArray());
        Assert.Null(parsed.TryOpen(RepositoryKey.FromPassphrase("wrong")));
        Assert.Equal("pbkdf2-sha256", parsed.Kdf);
    }

    [Fact]
    public void A_derived_key_is_reused_only_for_the_same_passphrase_salt_and_iterations()
    {
        // The process caches each PBKDF2 result (a repository opened twice derives once); the cache
        // must never let another passphrase, or the same passphrase, open a different key file.
        var masterA = MasterKey.Generate();
        var masterB = MasterKey.Generate();
        var fileA = KeyFile.TryParse(KeyFile.Create(RepositoryKey.FromPassphrase("shared"), masterA, 1000).Serialize())!;
        var fileB = KeyFile.TryParse(KeyFile.Create(RepositoryKey.FromPassphrase("shared"), masterB, 1000).Serialize())!;

        Assert.Null(fileA.TryOpen(RepositoryKey.FromPassphrase("other")));
        Assert.Equal(masterA.Bytes.ToArray(), fileA.TryOpen(RepositoryKey.FromPassphrase("shared"))!.Bytes.ToArray());
        Assert.Equal(masterB.Bytes.ToArray(), fileB.TryOpen(RepositoryKey.FromPassphrase("shared"))!.Bytes.ToArray());
        Assert.Equal(masterA.Bytes.ToArray(), fileA.TryOpen(RepositoryKey.FromPassphrase("shared"))!.Bytes.ToArray());
        Assert.Null(fileA.TryOpen(RepositoryKey.FromPassphrase("other")));
        Assert.Null(fileB.TryOpen(RepositoryKey.FromPassphrase("shared2")));
    }

    [Fact]
    public void Secrets_never_show_in_ToString()
    {
        Assert.Equal("RepositoryKey(***)", RepositoryKey.FromPassphrase("hunter2").ToString());
        Assert.Equal("MasterKey(***)", MasterKey.Generate().ToString());
        Assert.DoesNotContain("hunter2", new SecretReference("DRORCH_TEST_NOPE", null).ToString(), StringComparison.Ordinal);
    }
}
