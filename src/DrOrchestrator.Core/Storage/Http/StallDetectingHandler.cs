namespace DrOrchestrator.Core.Storage.Http;

/// <summary>
/// An HTTP handler that fails a request as soon as it stalls (see <see cref="TransferTimeouts"/>):
/// no response within <see cref="TransferTimeouts.Request"/> of the last byte sent, no upload
/// progress for that long, or no download byte for that long; and in any case after the body's
/// <see cref="TransferTimeouts.Deadline"/>. Failures are <see cref="HttpRequestException"/> (before
/// the response) or <see cref="IOException"/> (while reading it), which every SDK treats as a
/// network error: the request is retried on a fresh connection.
/// </summary>
public sealed class StallDetectingHandler(TransferTimeouts timeouts, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var bodyBytes = request.Content?.Headers.ContentLength ?? 0;
        using var stalled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var deadline = timeouts.Deadline(bodyBytes);
        var started = TimeProvider.System.GetTimestamp();
        void Progress()
        {
            // Each step of progress gives the peer another Request interval, within the deadline.
            var left = deadline - TimeProvider.System.GetElapsedTime(started);
            try
            {
                stalled.CancelAfter(left < timeouts.Request ? (left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1)) : timeouts.Request);
            }
            catch (ObjectDisposedException)
            {
                // The response arrived before the transport finished with the body; nothing to watch.
            }
        }

        Progress();
        if (request.Content is { } content)
        {
            request.Content = new ProgressReportingContent(content, Progress);
        }

        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, stalled.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HttpRequestException(
                $"{request.Method} {request.RequestUri?.AbsolutePath}: no progress within {timeouts.Request.TotalSeconds:0.#} s (request stalled)",
                new TimeoutException(ex.Message, ex));
        }

        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var guarded = new StreamContent(new StallGuardStream(body, timeouts, response.Content.Headers.ContentLength ?? 0));
        foreach (var header in response.Content.Headers)
        {
            guarded.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        response.Content = guarded;
        return response;
    }
}
