using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Tests.Backup;

/// <summary>The tree stage encodes each directory as soon as its files are complete, and lets go of its entries.</summary>
public sealed class TreeStageTests
{
    [Fact]
    public async Task A_directory_is_encoded_and_released_once_its_files_are_complete_not_at_the_end()
    {
        var (_, repo) = await TestSupport.NewRepoAsync();
        await using var writer = RepositoryWriter.Start(repo);
        var run = new BackupRun(writer, null);
        var trees = new TreeBuilder(run);
        var stage = trees.RunAsync(CancellationToken.None);

        // As the scanner would post it: root → {a → a.txt, b → b.txt}, both files being read.
        var root = new PendingDirectory(null, null);
        var (a, aFile) = DirectoryWithOneFile(run, "a", root);
        var (b, bFile) = DirectoryWithOneFile(run, "b", root);
        root.Children = [new ScanEntry(a.Node!) { Directory = a }, new ScanEntry(b.Node!) { Directory = b }];
        root.AddOutstanding();
        root.AddOutstanding();
        run.TreeEvents.Writer.TryWrite(new TreeEvent(null, root));

        // a.txt: one chunk; the worker's id arrives after the reader is done with it.
        var slot = aFile.AddSlot();
        Assert.False(aFile.ReadingDone());
        Assert.True(aFile.SetId(slot, BlobId.Hash("a"u8)));
        run.FileComplete(aFile);

        await WaitForAsync(() => a.Children is null);
        Assert.NotEqual(default, a.Node!.Subtree);
        Assert.NotNull(b.Children);
        Assert.Throws<InvalidOperationException>(() => trees.RootNodes);

        // b.txt is empty: no chunk, complete as soon as the reader is done.
        Assert.True(bFile.ReadingDone());
        run.FileComplete(bFile);
        run.TreeEvents.Writer.TryComplete();
        await stage;

        Assert.Null(b.Children);
        Assert.Null(root.Children);
        // The invisible root is not encoded by the stage: its entries go to the writer's root tree.
        Assert.Equal(["a", "b"], trees.RootNodes.Select(n => n.Name));
        Assert.Equal([BlobId.Hash("a"u8)], aFile.Node.Content);

        // Both listings went through the writer into the repository.
        await writer.FlushAsync(CancellationToken.None);
        Assert.Equal("a.txt", Assert.Single(await repo.LoadTreeAsync(a.Node.Subtree, CancellationToken.None)).Name);
        Assert.Equal("b.txt", Assert.Single(await repo.LoadTreeAsync(b.Node!.Subtree, CancellationToken.None)).Name);
    }

    private static (PendingDirectory Directory, PendingFile File) DirectoryWithOneFile(BackupRun run, string name, PendingDirectory parent)
    {
        var directory = new PendingDirectory(new TreeNode { Name = name, Type = NodeType.Directory }, parent);
        var file = new PendingFile($"/src/{name}/{name}.txt", new TreeNode { Name = name + ".txt", Type = NodeType.File }, default, directory);
        directory.Children = [new ScanEntry(file.Node) { File = file }];
        directory.AddOutstanding();
        run.TreeEvents.Writer.TryWrite(new TreeEvent(null, directory));
        return (directory, file);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the tree stage did not get there within 10 s");
            await Task.Delay(10);
        }
    }
}
