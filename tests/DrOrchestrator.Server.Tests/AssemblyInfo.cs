// Hangfire keeps its configuration in process-wide statics (JobStorage.Current, global filters):
// the hosts these tests start run one after another, never side by side.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
