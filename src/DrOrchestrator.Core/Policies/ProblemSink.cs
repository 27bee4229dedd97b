using YamlDotNet.RepresentationModel;

namespace DrOrchestrator.Core.Policies;

/// <summary>Collects problems for one file; the parser keeps going after each one.</summary>
internal sealed class ProblemSink(string file)
{
    private readonly List<PolicyProblem> _problems = [];

    public string File { get; } = file;

    public int Count => _problems.Count;

    public void Add(int line, string field, string message) => _problems.Add(new PolicyProblem(File, line, field, message));

    public void Add(YamlNode node, string field, string message) => Add(LineOf(node), field, message);

    /// <summary>Problems ordered by line, then by the order they were found (a stable sort).</summary>
    public IReadOnlyList<PolicyProblem> Sorted() => [.. _problems.OrderBy(p => p.Line)];

    public static int LineOf(YamlNode node) => (int)node.Start.Line;
}
