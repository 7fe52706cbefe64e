using System.Net;
using System.Net.Http.Json;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Gateway.WaitingRoom;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Boxoffice.UnitTests.Gateway;

/// <summary>
/// The gateway's two background calls to the waiting room keep going whatever a call fails with.
/// A resilience pipeline answers with exceptions of its own (an open circuit, its timeout); one of
/// them escaping a background service stops the host, and in a flash sale it stopped both gateway
/// replicas while the waiting room was slow.
/// </summary>
public sealed class WaitingRoomCallsTests
{
    private static readonly Exception[] Failures =
    [
        PollyFailure("Polly.CircuitBreaker.BrokenCircuitException", "The circuit is now open and is not allowing calls."),
        PollyFailure("Polly.Timeout.TimeoutRejectedException", "The operation didn't complete within the allowed timeout of '00:00:10'."),
        new HttpRequestException("Connection refused"),
        new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout."),
        new InvalidOperationException("Anything else"),
    ];

    [Fact]
    public async Task Queue_snapshots_survive_every_kind_of_failed_fetch_and_keep_the_last_snapshot()
    {
        var eventId = Guid.NewGuid();
        var snapshot = new QueueSnapshot(eventId, "open", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, true, 10, 3, 3, 7, 5, 1.5);
        var waitingRoom = new WaitingRoom(call => call == 0
            ? new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(new[] { snapshot }) }
            : throw Failures[(call - 1) % Failures.Length]);
        var snapshots = new QueueSnapshots(waitingRoom, Settings(), TimeProvider.System, NullLogger<QueueSnapshots>.Instance);

        await snapshots.StartAsync(TestContext.Current.CancellationToken);
        await waitingRoom.CalledAsync(1 + 2 * Failures.Length);

        Assert.False(snapshots.ExecuteTask!.IsCompleted, $"The refresh loop ended: {snapshots.ExecuteTask.Exception}");
        Assert.True(snapshots.TryGet(eventId, out var kept));
        Assert.Equal(snapshot, kept);
        await snapshots.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_status_poll_for_a_queue_newer_than_the_snapshot_waits_for_the_next_one()
    {
        // An organizer puts an event behind a waiting room and a buyer joins at once: the queue is
        // in the buyer's ticket before it is in this gateway replica's snapshot.
        var eventId = Guid.NewGuid();
        var snapshot = new QueueSnapshot(eventId, "waiting", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, true, 10, 0, 0, 0, 5, 1.5);
        var listed = 0;
        var waitingRoom = new WaitingRoom(_ => Queues(DateTimeOffset.UtcNow, Volatile.Read(ref listed) == 1 ? [snapshot] : []));
        var snapshots = new QueueSnapshots(waitingRoom, Settings(newQueueWait: TimeSpan.FromMinutes(1)), TimeProvider.System, NullLogger<QueueSnapshots>.Instance);
        await snapshots.StartAsync(TestContext.Current.CancellationToken);
        await LoadedAsync(snapshots);

        var find = snapshots.FindAsync(eventId, DateTimeOffset.UtcNow, TestContext.Current.CancellationToken).AsTask();
        Volatile.Write(ref listed, 1);

        Assert.Equal(snapshot, await find.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        await snapshots.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_status_poll_for_a_queue_the_snapshots_still_miss_after_the_wait_is_told_there_is_none()
    {
        var waitingRoom = new WaitingRoom(_ => Queues(DateTimeOffset.UtcNow, []));
        var snapshots = new QueueSnapshots(waitingRoom, Settings(newQueueWait: TimeSpan.FromMilliseconds(200)), TimeProvider.System, NullLogger<QueueSnapshots>.Instance);
        await snapshots.StartAsync(TestContext.Current.CancellationToken);
        await LoadedAsync(snapshots);

        // Joined just now: the next snapshots are waited for, then it is missing.
        var calls = waitingRoom.Calls;
        Assert.Null(await snapshots.FindAsync(Guid.NewGuid(), DateTimeOffset.UtcNow, TestContext.Current.CancellationToken).AsTask()
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.True(waitingRoom.Calls > calls, "The poll did not wait for a snapshot newer than the one at hand.");

        // Joined a minute ago: the snapshot at hand answers, without a wait.
        var old = snapshots.FindAsync(Guid.NewGuid(), DateTimeOffset.UtcNow.AddMinutes(-1), TestContext.Current.CancellationToken);
        Assert.True(old.IsCompleted, "A ticket older than the snapshot waited for the next one.");
        Assert.Null(await old);
        await snapshots.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task The_waiting_rooms_read_time_decides_whether_a_snapshot_is_newer_than_a_join()
    {
        // The waiting room's clock is 5 s ahead of this replica's: its read, made after the join's
        // second by its own clock, already answers for the queue, and nothing is waited for.
        var waitingRoom = new WaitingRoom(_ => Queues(DateTimeOffset.UtcNow.AddSeconds(5), []));
        var snapshots = new QueueSnapshots(waitingRoom, Settings(newQueueWait: TimeSpan.FromMinutes(1)), TimeProvider.System, NullLogger<QueueSnapshots>.Instance);
        await snapshots.StartAsync(TestContext.Current.CancellationToken);
        await LoadedAsync(snapshots);

        var find = snapshots.FindAsync(Guid.NewGuid(), DateTimeOffset.UtcNow.AddSeconds(1), TestContext.Current.CancellationToken);
        Assert.True(find.IsCompleted, "A snapshot the waiting room read after the join was not taken as the answer.");
        Assert.Null(await find);
        await snapshots.StopAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The waiting room's answer to a snapshot fetch: the queues, read at <paramref name="readAt"/> by its clock.</summary>
    private static HttpResponseMessage Queues(DateTimeOffset readAt, QueueSnapshot[] queues)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(queues) };
        response.Headers.Add(QueueSnapshotHeaders.ReadAt, readAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        return response;
    }

    private static async Task LoadedAsync(QueueSnapshots snapshots)
    {
        while (!snapshots.Loaded)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Seen_buyers_survive_every_kind_of_failed_report_and_send_the_buyers_with_the_next()
    {
        var eventId = Guid.NewGuid();
        var bodies = new List<string>();
        var waitingRoom = new WaitingRoom(call =>
        {
            if (call < Failures.Length)
            {
                throw Failures[call];
            }

            return new HttpResponseMessage(HttpStatusCode.NoContent);
        }, bodies);
        var seen = new SeenBuyers(waitingRoom, Settings(), NullLogger<SeenBuyers>.Instance);
        seen.Mark(eventId, "buyer-1");

        await seen.StartAsync(TestContext.Current.CancellationToken);
        await waitingRoom.CalledAsync(Failures.Length + 1);

        Assert.False(seen.ExecuteTask!.IsCompleted, $"The report loop ended: {seen.ExecuteTask.Exception}");
        // Every failed report kept the buyer for the next one, which got through.
        Assert.All(bodies.Take(Failures.Length + 1), body => Assert.Contains("buyer-1", body, StringComparison.Ordinal));
        await seen.StopAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>An exception of the resilience pipeline's Polly (v8; the test project also sees v7's types of the same names).</summary>
    private static Exception PollyFailure(string type, string message) =>
        (Exception)Activator.CreateInstance(typeof(Polly.ResiliencePipeline).Assembly.GetType(type, throwOnError: true)!, message)!;

    private static IOptions<WaitingRoomSettings> Settings(TimeSpan? newQueueWait = null) => Options.Create(new WaitingRoomSettings
    {
        NewQueueWait = newQueueWait ?? TimeSpan.FromSeconds(2),
        Service = new Uri("http://waiting-room"),
        RefreshInterval = TimeSpan.FromMilliseconds(10),
        SeenInterval = TimeSpan.FromMilliseconds(10),
    });

    /// <summary>A waiting room whose n-th call (from 0) answers as <c>answer</c> says, or throws.</summary>
    private sealed class WaitingRoom(Func<int, HttpResponseMessage> answer, List<string>? bodies = null) : HttpMessageHandler, IHttpClientFactory
    {
        private readonly SemaphoreSlim _called = new(0);
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public HttpClient CreateClient(string name) => new(this, disposeHandler: false) { BaseAddress = new Uri("http://waiting-room") };

        public async Task CalledAsync(int times)
        {
            for (var i = 0; i < times; i++)
            {
                Assert.True(await _called.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken), $"The waiting room was called {i} times, not {times}.");
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls) - 1;
            if (bodies is not null && request.Content is not null)
            {
                var body = await request.Content.ReadAsStringAsync(cancellationToken);
                lock (bodies)
                {
                    bodies.Add(body);
                }
            }

            try
            {
                return answer(call);
            }
            finally
            {
                _called.Release();
            }
        }
    }
}
