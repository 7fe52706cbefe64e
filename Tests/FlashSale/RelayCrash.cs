using System.Diagnostics;
using Npgsql;

namespace Boxoffice.FlashSale;

/// <summary>
/// Kills the booking replica whose outbox relay is in the middle of a round: it holds the relay's
/// advisory lock in bookingdb (Services/Messaging/Outbox/OutboxRelay.cs) while unpublished rows
/// wait, so its batch may be on its way to Kafka and not yet marked.
/// </summary>
/// <remarks>
/// PostgreSQL knows the round's session, not the process: services reach it through DCP's proxy,
/// so the session's client port is the proxy's. The round is therefore caught by freezing every
/// booking replica (SIGSTOP) the moment it is seen, and its owner found by letting the others run
/// on: if the session still holds the lock in the same transaction after they had
/// <see cref="Grace"/>, the one left frozen is the relay. It is killed frozen, mid-round, and
/// its session ends with it. When the guess was wrong, the relay finished its round while thawed;
/// everyone runs on and the next round is caught, with the next replica as the guess.
/// </remarks>
internal sealed class RelayCrash(IResourceControl resources, NpgsqlDataSource bookingDb)
{
    private const string Resource = "booking";

    /// <summary>How long a round may go on being looked for: rounds run while the crowd holds and orders.</summary>
    private static readonly TimeSpan Search = TimeSpan.FromSeconds(60);

    /// <summary>How long the other replicas run while the guessed one stays frozen: a round takes milliseconds.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

    /// <summary>The relay's session, its transaction, and how many rows were waiting.</summary>
    private sealed record Round(int Session, DateTime TransactionStart, long Unpublished);

    public async Task<string> StrikeAsync(CancellationToken cancellationToken)
    {
        var replicas = await resources.RunningReplicasAsync(Resource, cancellationToken);
        if (replicas.Count == 0)
        {
            throw new InvalidOperationException("No running replica of booking.");
        }

        var trees = replicas.ToDictionary(replica => replica, replica => ProcessSignals.Tree(replica.Pid));
        var searching = Stopwatch.StartNew();
        for (var guess = 0; searching.Elapsed < Search;)
        {
            var round = await RoundInFlightAsync(cancellationToken);
            if (round is null)
            {
                await Task.Delay(Poll, cancellationToken);
                continue;
            }

            var (relay, gone) = await CatchAsync(round, replicas[guess++ % replicas.Count], trees, cancellationToken);
            if (relay is null)
            {
                continue;
            }

            await resources.StartAgainAsync(relay, cancellationToken);
            return $"{relay.Id} killed mid-round, holding the relay lock with {round.Unpublished} outbox rows unpublished; "
                + (gone ? "its session ended with it" : "its session outlived it for 10 s")
                + ", started and healthy again";
        }

        return $"not injected: no relay round was in flight within {Search.TotalSeconds:F0} s";
    }

    /// <summary>
    /// Freezes every replica; if the round is still in flight, lets all but <paramref name="suspect"/>
    /// run; if the round outlives the grace, <paramref name="suspect"/> holds it and is killed.
    /// Whatever happens, no replica is left frozen.
    /// </summary>
    private async Task<(Replica? Killed, bool SessionGone)> CatchAsync(Round round, Replica suspect, Dictionary<Replica, IReadOnlyList<int>> trees, CancellationToken cancellationToken)
    {
        Replica? killed = null;
        ProcessSignals.SendAll(trees.Values, ProcessSignals.Stop);
        try
        {
            if (!await StillInFlightAsync(round, cancellationToken))
            {
                return (null, false); // the round ended before the freeze
            }

            ProcessSignals.SendAll(trees.Where(pair => pair.Key != suspect).Select(pair => pair.Value), ProcessSignals.Continue);
            var graced = Stopwatch.StartNew();
            while (graced.Elapsed < Grace)
            {
                if (!await StillInFlightAsync(round, cancellationToken))
                {
                    return (null, false); // a thawed replica was the relay and finished its round
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            }

            resources.Kill(suspect);
            killed = suspect;
        }
        finally
        {
            ProcessSignals.SendAll(trees.Where(pair => pair.Key != killed).Select(pair => pair.Value), ProcessSignals.Continue);
        }

        // The kernel closes the dead process's sockets, the proxy its side, and PostgreSQL ends the
        // session, rolling the round back: its rows stay unpublished for the next relay.
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (!await StillInFlightAsync(round, cancellationToken))
            {
                return (killed, true);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        return (killed, false);
    }

    /// <summary>
    /// The session holding the relay's lock, while unpublished rows exist. The lock is
    /// <c>pg_try_advisory_xact_lock(hashtext('boxoffice-outbox-relay'))</c>, a bigint key, which
    /// pg_locks shows as its high half in classid and its low half in objid, with objsubid 1.
    /// </summary>
    private async Task<Round?> RoundInFlightAsync(CancellationToken cancellationToken)
    {
        await using var command = bookingDb.CreateCommand("""
            WITH relay AS (SELECT hashtext('boxoffice-outbox-relay')::bigint AS key)
            SELECT a.pid, a.xact_start, (SELECT count(*) FROM outbox WHERE published_at IS NULL AND failed_at IS NULL)
            FROM pg_locks l
            JOIN pg_stat_activity a ON a.pid = l.pid
            CROSS JOIN relay
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = ((relay.key >> 32) & 4294967295)::oid
              AND l.objid = (relay.key & 4294967295)::oid
              AND a.xact_start IS NOT NULL
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var round = new Round(reader.GetInt32(0), reader.GetDateTime(1), reader.GetInt64(2));
        return round.Unpublished > 0 ? round : null;
    }

    private async Task<bool> StillInFlightAsync(Round round, CancellationToken cancellationToken) =>
        await RoundInFlightAsync(cancellationToken) is { } now && now.Session == round.Session && now.TransactionStart == round.TransactionStart;
}
