using Hangfire;
using Hangfire.States;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Server.Tests;

/// <summary>
/// The service drops Hangfire's global filters it has no use for (statements per job on
/// Hangfire.PostgreSql, decisions §72) and keeps the ones its work depends on: a job that throws
/// is still retried by the global <see cref="AutomaticRetryAttribute"/>, and the job's culture
/// is no longer stored with it.
/// </summary>
public sealed class HangfireFilterTests
{
    [Fact]
    public async Task The_service_drops_the_culture_and_continuation_filters_and_a_failing_job_is_still_retried()
    {
        await using var sandbox = await ServerSandbox.StartAsync();

        var filters = GlobalJobFilters.Filters.Select(f => f.Instance.GetType()).ToHashSet();
        Assert.DoesNotContain(typeof(CaptureCultureAttribute), filters);
        Assert.DoesNotContain(typeof(ContinuationsSupportAttribute), filters);
        Assert.Contains(typeof(AutomaticRetryAttribute), filters);
        Assert.Contains(typeof(StatisticsHistoryAttribute), filters);

        var client = sandbox.App.Services.GetRequiredService<IBackgroundJobClient>();
        var storage = sandbox.App.Services.GetRequiredService<JobStorage>();
        var jobId = client.Enqueue(() => FailingJob.Fail(Guid.NewGuid().ToString("N")));

        // AutomaticRetry moves a failed attempt to Scheduled (its first retry) and counts it.
        var state = await ServerSandbox.WaitForAsync(
            () => Task.FromResult(StateOf(storage, jobId)),
            name => name == ScheduledState.StateName,
            TimeSpan.FromSeconds(30),
            "the failed job scheduled for its retry");
        Assert.Equal(ScheduledState.StateName, state);
        using var connection = storage.GetConnection();
        Assert.Equal("1", connection.GetJobParameter(jobId, "RetryCount"));
        Assert.Null(connection.GetJobParameter(jobId, "CurrentCulture"));
    }

    private static string? StateOf(JobStorage storage, string jobId)
    {
        using var connection = storage.GetConnection();
        return connection.GetStateData(jobId)?.Name;
    }
}

/// <summary>A job that always throws (a static method: Hangfire needs no activator for it).</summary>
public static class FailingJob
{
    public static void Fail(string marker) => throw new InvalidOperationException("failing on purpose " + marker);
}
