using System.Buffers;
using System.Security.Cryptography;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Tests.Repository;

/// <summary>Both homes of a pack under construction: a store's staging file, or a temp file that is put.</summary>
public sealed class PackWriterTests
{
    [Fact]
    public async Task A_staged_pack_is_committed_under_the_key_given_its_id_is_the_sha256_of_every_staged_byte_and_nothing_is_put()
    {
        var (store, repo) = await TestSupport.NewRepoAsync();
        var putsBefore = store.PutCount;
        var stage = new RecordingStage();
        using (var writer = new PackWriter(stage))
        {
            var record = Fill(repo, writer);
            var key = ObjectKeys.Pack(record.Id);

            await writer.StoreAsync(repo.Store, key, CancellationToken.None);

            Assert.Equal(key, stage.CommittedKey);
            Assert.Equal(record.Id.ToString(), Convert.ToHexStringLower(SHA256.HashData(stage.Bytes)));
            Assert.Equal(stage.Bytes.Length, record.Size);
        }

        Assert.False(stage.Discarded);
        Assert.Equal(putsBefore, store.PutCount);
    }

    [Fact]
    public async Task A_staged_pack_disposed_before_it_is_stored_is_discarded()
    {
        var (_, repo) = await TestSupport.NewRepoAsync();
        var stage = new RecordingStage();
        using (var writer = new PackWriter(stage))
        {
            Fill(repo, writer);
        }

        Assert.True(stage.Discarded);
        Assert.Null(stage.CommittedKey);
    }

    [Fact]
    public async Task A_temp_file_pack_is_put_and_its_id_is_the_sha256_of_the_stored_object()
    {
        var (store, repo) = await TestSupport.NewRepoAsync();
        using var writer = new PackWriter(Path.GetTempPath());
        var record = Fill(repo, writer);

        await writer.StoreAsync(repo.Store, ObjectKeys.Pack(record.Id), CancellationToken.None);

        Assert.Equal(record.Id.ToString(), Convert.ToHexStringLower(SHA256.HashData(store[ObjectKeys.Pack(record.Id)])));
    }

    private static PackRecord Fill(BackupRepository repo, PackWriter writer)
    {
        using var codec = repo.CreateCodec(ArrayPool<byte>.Shared);
        for (var i = 0; i < 5; i++)
        {
            var plain = TestSupport.RandomBytes(50_000 + i, seed: i);
            writer.Add(codec.Seal(BlobType.Data, BlobId.Hash(plain), plain));
        }

        using var aead = repo.Key.CreateAead();
        return writer.Finish(aead);
    }

    /// <summary>A stage in memory that records what became of it.</summary>
    private sealed class RecordingStage : IObjectStage
    {
        private readonly MemoryStream _content = new();

        public Stream Content => _content;

        public string? CommittedKey { get; private set; }

        public bool Discarded { get; private set; }

        public byte[] Bytes => _content.ToArray();

        public Task CommitAsync(string key, CancellationToken cancellationToken)
        {
            CommittedKey = key;
            return Task.CompletedTask;
        }

        public void Dispose() => Discarded = CommittedKey is null;
    }
}
