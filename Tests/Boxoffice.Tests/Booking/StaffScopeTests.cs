using System.Net;
using System.Text.Json;
using Boxoffice.Tests.Edge;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;

namespace Boxoffice.Tests.Booking;

/// <summary>Door staff admit the events they work, and only those: a scan for another event is refused and recorded.</summary>
[Collection<RunningApp>]
public sealed class StaffScopeTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task Staff_admit_only_the_events_they_work_and_a_scan_for_another_is_refused_and_recorded()
    {
        using var organizer = await Catalog.Organizer.NewAsync(boxoffice);
        var sale = await Sale.OpenAsync(boxoffice, by: organizer);
        var elsewhere = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var orderId = await buyer.OrderAsync((await buyer.HoldAsync(sale)).GetProperty("holdId").GetGuid());
        Assert.Equal("confirmed", (await buyer.SettledOrderAsync(orderId)).GetProperty("status").GetString());
        var ticket = (await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets"))[0];
        var (ticketId, code) = (ticket.GetProperty("ticketId").GetGuid(), ticket.GetProperty("code").GetString());

        // Staff of another event, and staff given nothing, are refused; the ticket stays unused.
        using var otherDoor = await Buyer.StaffAsync(boxoffice, elsewhere);
        using var nobodys = await Buyer.StaffAsync(boxoffice);
        using var otherOrganizers = await Buyer.StaffAsync(boxoffice, $"organizer:organizer-{Guid.NewGuid():N}");
        foreach (var staff in new[] { otherDoor, nobodys, otherOrganizers })
        {
            var refused = await staff.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, "/tickets/check-in", new { code });
            Assert.Equal("https://boxoffice.dev/problems/not-staff-of-event", refused.GetProperty("type").GetString());
        }

        var unused = (await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets"))[0];
        Assert.Equal(JsonValueKind.Null, unused.GetProperty("checkedInAt").ValueKind);
        await using (var bookingDb = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb")))
        await using (var audit = bookingDb.CreateCommand("SELECT staff_id FROM check_in_refusals WHERE ticket_id = $1 ORDER BY id"))
        {
            audit.Parameters.Add(new() { Value = ticketId });
            var recorded = new List<string>();
            await using var rows = await audit.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            while (await rows.ReadAsync(TestContext.Current.CancellationToken))
            {
                recorded.Add(rows.GetString(0));
            }

            Assert.Equal([otherDoor.Id, nobodys.Id, otherOrganizers.Id], recorded);
        }

        // Staff of the organizer work every one of its events.
        using var organizersDoor = await Buyer.StaffAsync(boxoffice, $"organizer:{organizer.Id}");
        var admitted = await organizersDoor.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/tickets/check-in", new { code });
        Assert.Equal("checked-in", admitted.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_seeded_staff_account_signs_in_for_check_in_and_works_the_seeded_organizers_events()
    {
        var organizer = await Tokens.AuthorizationCodeAsync(boxoffice, "organizer@boxoffice.local", await boxoffice.ParameterAsync("organizer-password"), "openid catalog.read catalog.write");
        var staff = await Tokens.AuthorizationCodeAsync(boxoffice, "staff@boxoffice.local", await boxoffice.ParameterAsync("staff-password"), "openid checkin booking");

        var organizerId = new JsonWebToken(organizer.GetProperty("access_token").GetString()).Subject;
        var access = new JsonWebToken(staff.GetProperty("access_token").GetString());
        Assert.Contains("checkin", Tokens.Scopes(access.EncodedToken));
        Assert.DoesNotContain("booking", Tokens.Scopes(access.EncodedToken));
        Assert.Equal([$"organizer:{organizerId}"], access.Claims.Where(claim => claim.Type == "works_for").Select(claim => claim.Value));

        // At the door of a sale the seeded organizer opened, the seeded staff admit its ticket.
        using var seededOrganizer = Catalog.Organizer.SignedIn(boxoffice, organizer.GetProperty("access_token").GetString()!);
        var sale = await Sale.OpenAsync(boxoffice, by: seededOrganizer);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var orderId = await buyer.OrderAsync((await buyer.HoldAsync(sale)).GetProperty("holdId").GetGuid());
        Assert.Equal("confirmed", (await buyer.SettledOrderAsync(orderId)).GetProperty("status").GetString());
        var code = (await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets"))[0].GetProperty("code").GetString();
        using var door = Buyer.SignedIn(boxoffice, access.EncodedToken);
        var admitted = await door.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/tickets/check-in", new { code });
        Assert.Equal("checked-in", admitted.GetProperty("status").GetString());
    }
}
