using System.Net.Http.Json;
using System.Text.Json;

namespace Boxoffice.WaitingRoom.Metering;

/// <summary>
/// Booking's word on an event: the places free in every tier together (0: sold out), and the most
/// one buyer may take of it (its ticket limit within booking's own cap; null when booking did not say).
/// </summary>
internal readonly record struct BookingCount(long Available, int? TicketLimit);

/// <summary>
/// Asks booking whether anything of an event is left (<c>GET /events/{id}/availability</c>, the
/// public counts, at most a couple of seconds old). Sold out is nothing available in any tier.
/// </summary>
internal sealed class BookingAvailability(IHttpClientFactory clients)
{
    public const string ClientName = "booking";

    /// <summary>Booking's count of the event; null when booking did not answer in time or could not say.</summary>
    public async Task<BookingCount?> AvailableAsync(Guid eventId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(timeout);
        try
        {
            using var client = clients.CreateClient(ClientName);
            using var response = await client.GetAsync($"events/{eventId}/availability", patience.Token);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var availability = await response.Content.ReadFromJsonAsync<Availability>(JsonSerializerOptions.Web, patience.Token);
            return availability?.Tiers is { } tiers
                ? new BookingCount(tiers.Sum(tier => Math.Max(0L, tier.Available)), availability.TicketLimit is > 0 ? availability.TicketLimit : null)
                : null;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Unreachable, slow, its circuit open, or an answer that cannot be read: the tick keeps what it knew.
            return null;
        }
    }

    /// <summary>The part of booking's answer the waiting room reads.</summary>
    private sealed record Availability(IReadOnlyList<TierCount>? Tiers, int? TicketLimit);

    private sealed record TierCount(int Available);
}
