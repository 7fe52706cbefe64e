using System.Net;
using System.Net.Http.Json;
using Boxoffice.Tests.Edge;

namespace Boxoffice.Tests.Catalog;

/// <summary>Every organizer endpoint refuses callers without a token, and tokens without the organizer's scope and role.</summary>
[Collection<RunningApp>]
public sealed class OrganizerAccessTests(BoxofficeApp boxoffice)
{
    public static TheoryData<string, string> Endpoints => new()
    {
        { "GET", "/organizer/venues" },
        { "POST", "/organizer/venues" },
        { "GET", "/organizer/venues/{venue}" },
        { "GET", "/organizer/events" },
        { "POST", "/organizer/events" },
        { "GET", "/organizer/events/{event}" },
        { "PUT", "/organizer/events/{event}" },
        { "POST", "/organizer/events/{event}/publish" },
        { "POST", "/organizer/events/{event}/open-sale" },
        { "POST", "/organizer/events/{event}/close" },
        { "POST", "/organizer/events/{event}/cancel" },
        { "PUT", "/organizer/events/{event}/waiting-room" },
        { "DELETE", "/organizer/events/{event}/waiting-room" },
        { "PUT", "/organizer/events/{event}/ticket-limit" },
        { "DELETE", "/organizer/events/{event}/ticket-limit" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Without_a_token_or_with_a_buyers_or_read_only_token_an_organizer_endpoint_answers_401_or_403_and_changes_nothing(string method, string template)
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var venue = await organizer.CreateVenueAsync();
        var draft = await organizer.CreateEventAsync(venue);
        var path = "/api/catalog" + template.Replace("{venue}", venue.ToString()).Replace("{event}", draft.ToString());
        var key = await Tokens.SigningKeyAsync(boxoffice);
        var issuer = await Tokens.IssuerAsync(boxoffice);
        var callers = new (string? Token, HttpStatusCode Expected)[]
        {
            (null, HttpStatusCode.Unauthorized),
            ("not-a-token", HttpStatusCode.Unauthorized),
            (Tokens.Mint(key, issuer, $"buyer-{Guid.NewGuid():N}", "booking catalog.write", ["buyer"]), HttpStatusCode.Forbidden),
            (Tokens.Mint(key, issuer, organizer.Id, "catalog.read", ["organizer"]), HttpStatusCode.Forbidden),
        };
        using var gateway = boxoffice.CreateGatewayClient();

        foreach (var (token, expected) in callers)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (token is not null)
            {
                request.Headers.Authorization = new("Bearer", token);
            }

            if (method is "POST" or "PUT")
            {
                request.Content = JsonContent.Create(template.Contains("venues") ? Organizer.Venue() : Organizer.Event(venue));
            }

            using var response = await gateway.SendAsync(request, TestContext.Current.CancellationToken);

            Assert.Equal(expected, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        var after = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{draft}");
        Assert.Equal("draft", after.GetProperty("status").GetString());
        Assert.Equal(1, after.GetProperty("version").GetInt32());
        Assert.Equal(1, (await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/venues")).GetArrayLength());
        Assert.Equal(1, (await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/events")).GetArrayLength());
    }
}
