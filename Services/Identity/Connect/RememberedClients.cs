using OpenIddict.EntityFrameworkCore.Models;

namespace Boxoffice.Identity.Connect;

/// <summary>
/// The client records this replica looked up lately, by client id, for <see cref="Lifetime"/>.
/// Every token request looks its client up (OpenIddict's <c>ValidateClientId</c>), and a handful of
/// clients answer all of them: on two cores that lookup was about a quarter of a refresh's cost in
/// identity. Only clients that exist are remembered, so an unknown id is looked up each time, and
/// the record is only read: OpenIddict writes relations by the client's id, through its own
/// context. A change to a client (a rotated secret, a permission taken away, a client deleted)
/// reaches every replica within <see cref="Lifetime"/>; the seeder applies configuration at a
/// replica's start, before it serves. See ADR 0019.
/// </summary>
internal sealed class RememberedClients(TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);

    /// <summary>Far more than the clients there are; past it, nothing new is remembered until entries expire.</summary>
    internal const int Capacity = 256;

    private readonly Remembered<string, OpenIddictEntityFrameworkCoreApplication> clients = new(clock, Lifetime, Capacity);

    public bool TryGet(string clientId, out OpenIddictEntityFrameworkCoreApplication client) => clients.TryGet(clientId, out client);

    public void Add(string clientId, OpenIddictEntityFrameworkCoreApplication client) => clients.Add(clientId, client);
}
