using System.Data.Common;
using Boxoffice.Postgres;
using Boxoffice.WaitingRoom.Queues;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.WaitingRoom.Metering;

/// <summary>
/// Meters admission every <see cref="WaitingRoomOptions.TickInterval"/>. Every replica runs it; for
/// each open queue, the one that takes the queue's advisory lock ticks it and the others skip.
/// Booking is asked for each open queue's availability first, outside any transaction, so a slow
/// booking never holds a lock. A database that is away ends the tick, which is logged; the next
/// one tries again.
/// </summary>
internal sealed partial class AdmissionTicker(
    NpgsqlDataSource db,
    QueueSnapshots queues,
    BookingAvailability booking,
    IOptions<WaitingRoomOptions> options,
    TimeProvider time,
    ILogger<AdmissionTicker> logger) : BackgroundService
{
    private readonly WaitingRoomOptions _options = options.Value;
    private readonly HashSet<Guid> _bookingSilent = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.TickInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await TickAsync(stoppingToken);
                }
                catch (Exception exception) when (IsDatabaseAway(exception) && !stoppingToken.IsCancellationRequested)
                {
                    LogDatabaseAway(exception.Message);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    LogTickFailed(exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        // Also what keeps this replica's snapshots and its waiting gauge current.
        var shown = await queues.RefreshAsync(cancellationToken);
        var now = time.GetUtcNow();
        var open = shown.Where(view => QueueRules.IsOpen(view.Queue, now)).Select(view => view.Queue.EventId).ToList();
        if (open.Count == 0)
        {
            return;
        }

        // When booking was asked: its counts describe the places then (less its cache's age), not when a tick reads them.
        var asked = time.GetUtcNow();
        var available = await Task.WhenAll(open.Select(eventId => booking.AvailableAsync(eventId, _options.AvailabilityTimeout, cancellationToken)));
        for (var i = 0; i < open.Count; i++)
        {
            NoteBookingAnswer(open[i], available[i] is { } left ? left.Available == 0 : null);
            try
            {
                await TickQueueAsync(open[i], available[i], asked, cancellationToken);
            }
            catch (Exception exception) when (!IsDatabaseAway(exception) && !cancellationToken.IsCancellationRequested)
            {
                // One queue's failure is not the others': they tick on.
                LogQueueTickFailed(exception, open[i]);
            }
        }
    }

    private async Task TickQueueAsync(Guid eventId, BookingCount? available, DateTimeOffset asked, CancellationToken cancellationToken)
    {
        using var activity = WaitingRoomTelemetry.Source.StartActivity("waiting-room tick");
        activity?.SetTag("boxoffice.event_id", eventId);
        var outcome = await db.RunAsync(
            transaction => Ticks.RunAsync(transaction, eventId, available, asked, _options, time, cancellationToken),
            cancellationToken);
        if (outcome is null)
        {
            // Another replica is ticking this queue, or it is no longer open.
            activity?.SetTag("boxoffice.tick", "skipped");
            return;
        }

        activity?.SetTag("boxoffice.tick", "ran");
        activity?.SetTag("boxoffice.offered", outcome.Offered);
        activity?.SetTag("boxoffice.withdrawn", outcome.Withdrawn);
        activity?.SetTag("boxoffice.sold_out", outcome.SoldOut);
        if (outcome.Opened)
        {
            LogOpened(eventId, outcome.PrequeueCount);
        }

        if (outcome.Offered > 0)
        {
            WaitingRoomMetrics.Admitted.Add(outcome.Offered, new KeyValuePair<string, object?>("event", eventId.ToString()));
        }

        if (outcome.Withdrawn > 0)
        {
            WaitingRoomMetrics.Abandoned.Add(outcome.Withdrawn);
            LogWithdrawn(eventId, outcome.Withdrawn);
        }
    }

    /// <summary>Logs booking going silent for an event once, and its coming back once, not every tick between.</summary>
    private void NoteBookingAnswer(Guid eventId, bool? soldOut)
    {
        if (soldOut is null && _bookingSilent.Add(eventId))
        {
            LogBookingSilent(eventId);
        }
        else if (soldOut is not null && _bookingSilent.Remove(eventId))
        {
            LogBookingBack(eventId, soldOut.Value);
        }
    }

    /// <summary>PostgreSQL restarting, unreachable or out of connections: not a bug, and the next tick tries again.</summary>
    private static bool IsDatabaseAway(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is DbException { IsTransient: true }
                || current is PostgresException { SqlState: { } state } && (state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57P", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Opened the queue of event {EventId}: the pre-queue of {PrequeueCount} places is frozen")]
    private partial void LogOpened(Guid eventId, long prequeueCount);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Withdrew {Withdrawn} unclaimed offers of event {EventId}; those places wait again")]
    private partial void LogWithdrawn(Guid eventId, int withdrawn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Booking did not tell the availability of event {EventId}; its queue keeps the last known sold-out state until it does")]
    private partial void LogBookingSilent(Guid eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Booking tells the availability of event {EventId} again (sold out: {SoldOut})")]
    private partial void LogBookingBack(Guid eventId, bool soldOut);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admission tick skipped: the database is away ({Reason}); the next tick tries again")]
    private partial void LogDatabaseAway(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Admission tick of event {EventId} failed; the next tick tries again")]
    private partial void LogQueueTickFailed(Exception exception, Guid eventId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Admission tick failed; the next tick tries again")]
    private partial void LogTickFailed(Exception exception);
}
