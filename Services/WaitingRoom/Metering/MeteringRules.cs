namespace Boxoffice.WaitingRoom.Metering;

/// <summary>How many places one tick offers, and the credit it leaves.</summary>
/// <param name="Credit">The credit available to this tick (0 when the queue has no rate).</param>
/// <param name="Offers">The places to offer: the credit's whole part, within the cap of valid admissions.</param>
/// <param name="RateLimited">Whether the queue has a rate, so the credit is kept between ticks.</param>
internal readonly record struct MeteredTick(double Credit, int Offers, bool RateLimited)
{
    /// <summary>The credit kept on the row once <paramref name="offered"/> places were offered (fewer than <see cref="Offers"/> when fewer were waiting).</summary>
    public double CreditAfter(int offered) => RateLimited ? Math.Max(0, Credit - offered) : 0;
}

/// <summary>
/// The metering of admission (docs/adr/0010-waiting-room.md): a token bucket on the queue's row.
/// A tick adds <c>rate × elapsed</c> to the credit, capped at one interval's worth, so a ticker
/// that was late or a replica that was down never catches up with a burst; it offers the credit's
/// whole part, fewer if <c>MaxAdmitted</c> valid admissions exist already or if the places left
/// serve fewer buyers than that (<see cref="BuyersLeft"/>), none while sold out.
/// </summary>
internal static class MeteringRules
{
    /// <summary>The most places one tick offers, whatever the settings: a queue with no rate is limited by its cap alone.</summary>
    public const int MaxOffersPerTick = 10_000;

    /// <param name="credit">The credit the row kept from the last tick.</param>
    /// <param name="lastTickAt">When the last tick ran (null: this is the first; it gets one interval's worth).</param>
    /// <param name="admitPerSecond">The queue's rate; null for none.</param>
    /// <param name="maxAdmitted">The most valid admissions at once; null for no cap.</param>
    /// <param name="holding">Valid admissions now: open offers and unexpired claims.</param>
    /// <param name="buyersLeft">The buyers not yet offered admission that the places left can serve (<see cref="BuyersLeft"/>); null when unknown.</param>
    public static MeteredTick Next(
        double credit, DateTimeOffset? lastTickAt, DateTimeOffset now, int? admitPerSecond, int? maxAdmitted, long holding, bool soldOut, long? buyersLeft,
        TimeSpan interval)
    {
        double available;
        if (admitPerSecond is { } rate)
        {
            var elapsed = lastTickAt is { } last ? Math.Max(0, (now - last).TotalSeconds) : interval.TotalSeconds;
            // At least one place: a slow rate on a short interval would otherwise never reach one.
            var cap = Math.Max(1, rate * interval.TotalSeconds);
            available = Math.Min(Math.Max(0, credit) + Math.Max(0, rate) * elapsed, cap);
        }
        else
        {
            available = MaxOffersPerTick;
        }

        var offers = (long)Math.Floor(available);
        if (maxAdmitted is { } max)
        {
            offers = Math.Min(offers, Math.Max(0, max - holding));
        }

        if (buyersLeft is { } left)
        {
            offers = Math.Min(offers, Math.Max(0, left));
        }

        if (soldOut)
        {
            offers = 0;
        }

        return new MeteredTick(admitPerSecond is null ? 0 : available, (int)Math.Clamp(offers, 0, MaxOffersPerTick), admitPerSecond is not null);
    }

    /// <summary>How many admitted buyers' worth of evidence <see cref="PlacesPerBuyer"/> gives the ticket limit before the buyers' own holds.</summary>
    public const int LimitWeight = 10;

    /// <summary>
    /// The places each admitted buyer is reckoned to take: the <paramref name="places"/> the
    /// <paramref name="buyers"/> seen holding took, with the event's <paramref name="ticketLimit"/>
    /// (the most one buyer may take, booking's cap when the event sets none; 1 when booking has not
    /// said) counted as <see cref="LimitWeight"/> buyers who took that many; between one and the
    /// limit. Before any hold is seen, the limit: the queue does not let in more buyers than the
    /// places serve if each takes all they may, because the buyers let in beyond that race each
    /// other for the last places, and a bot, holding the moment it is admitted, wins that race. As
    /// holds are seen, their average takes over. Never above the limit, though a buyer's places
    /// seen add up holds given back and taken again, and a limit lowered during the sale leaves
    /// larger holds behind it: nobody can hold more than the limit now.
    /// </summary>
    public static double PlacesPerBuyer(long buyers, long places, int? ticketLimit)
    {
        var limit = Math.Max(1, ticketLimit ?? 1);
        var blended = ((double)LimitWeight * limit + Math.Max(0, places)) / (LimitWeight + Math.Max(0, buyers));
        return ticketLimit is null ? Math.Max(1, blended) : Math.Clamp(blended, 1, limit);
    }

    /// <summary>
    /// The buyers not yet offered admission that <paramref name="available"/> places (booking's
    /// count) can serve: as many as those places serve at <paramref name="placesPerBuyer"/> each
    /// (<see cref="PlacesPerBuyer"/>; never less than one: every admitted buyer takes one at
    /// least), rounded up so a last place is offered, less the
    /// <paramref name="inFlight"/> buyers already on their way to a hold. So the tail of a sale
    /// admits about as many buyers as the places left serve, and the buyers admitted do not race
    /// each other for the last places, a race the fastest client (a bot) would win.
    /// </summary>
    public static long BuyersLeft(long available, long inFlight, double placesPerBuyer)
    {
        var each = Math.Max(1, double.IsFinite(placesPerBuyer) ? placesPerBuyer : 1);
        return (long)Math.Ceiling(Math.Max(0, available) / each) - Math.Max(0, inFlight);
    }

    /// <summary>
    /// How long a claimed admission counts as a buyer on their way to a hold when the queue has
    /// not seen that hold (counted back from booking's count, less its age, by the tick): twice as
    /// long as the latest buyers took (<paramref name="claimToHold"/>, the 90th percentile; twice,
    /// for the slower tenth), never less than <paramref name="least"/> (the availability lag) and
    /// never more than <paramref name="most"/>, so a buyer who never holds keeps no place back for long.
    /// Before any hold was seen, <paramref name="most"/>: nothing says yet how long buyers take,
    /// and the places of buyers still choosing are not offered to others meanwhile.
    /// </summary>
    public static TimeSpan HoldWait(TimeSpan? claimToHold, TimeSpan least, TimeSpan most)
    {
        var longest = Math.Max(least.Ticks, most.Ticks);
        return TimeSpan.FromTicks(claimToHold is { } observed ? Math.Clamp(2 * Math.Min(observed.Ticks, longest), least.Ticks, longest) : longest);
    }
}
