using System.Collections.Concurrent;

namespace Boxoffice.Messaging;

/// <summary>
/// A thread of its own for a consumer's blocking polls. librdkafka's <c>Consume</c> blocks the
/// calling thread for up to the poll interval: run on the thread pool, every consumer of a service
/// holds a pool thread most of the time, and on a small machine requests wait while the pool adds
/// threads, about one a second (bench/coldstart.sh: a payments replica with eight consumers
/// answered its first request 6 s after it listened). The consumer loop stays async and sequential:
/// it awaits each poll, so the rebalance callbacks librdkafka runs inside <c>Consume</c>, here, never
/// run beside the loop's own code.
/// </summary>
internal sealed class PollThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread _thread;

    public PollThread(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="work"/> on this thread; the caller continues on the pool, not here.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception exception)
            {
                done.SetException(exception);
            }
        });
        return done.Task;
    }

    /// <summary>Ends the thread once the poll in hand returns (within the poll interval).</summary>
    public void Dispose()
    {
        _work.CompleteAdding();
        if (_thread.Join(TimeSpan.FromSeconds(10)))
        {
            _work.Dispose();
        }
    }

    private void Run()
    {
        foreach (var work in _work.GetConsumingEnumerable())
        {
            work();
        }
    }
}
