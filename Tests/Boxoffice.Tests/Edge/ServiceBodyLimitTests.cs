using System.Net;
using Boxoffice.Tests.WaitingRoom;

namespace Boxoffice.Tests.Edge;

/// <summary>
/// Each service limits request bodies itself, not only the gateway per route: a caller that
/// reaches a service directly (from inside the network) gets a 413 problem, never a body read to
/// Kestrel's default of 30 MB.
/// </summary>
[Collection<RunningApp>]
public sealed class ServiceBodyLimitTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task A_body_over_a_services_own_limit_is_a_413_problem_even_past_the_gateway()
    {
        var ct = TestContext.Current.CancellationToken;
        var overDefault = 1024 * 1024 + 1;

        // Identity's registration takes anonymous JSON: straight to the service, past the gateway's 16 KB.
        using (var identity = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("identity", "http") })
        {
            using var response = await identity.SendAsync(Post("/account/register", Json(overDefault)), ct);
            await ProblemAnswer.ExpectAsync(response, HttpStatusCode.RequestEntityTooLarge, "body-too-large", $"POST identity /account/register with {overDefault} bytes");
        }

        // The payment provider is never behind the gateway: its own limit is the only one.
        using (var provider = await Payments.Provider.ConnectAsync(boxoffice))
        {
            using var request = Post("/charges", Json(overDefault));
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            using var response = await provider.Http.SendAsync(request, ct);
            await ProblemAnswer.ExpectAsync(response, HttpStatusCode.RequestEntityTooLarge, "body-too-large", $"POST provider /charges with {overDefault} bytes");
        }

        // The catalog takes the 2 MB the gateway lets organizers send (Kestrel:Limits in its appsettings), and no more.
        using (var catalog = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("catalog", "http") })
        {
            var token = Tokens.Mint(await Tokens.SigningKeyAsync(boxoffice), await Tokens.IssuerAsync(boxoffice), $"organizer-{Guid.NewGuid():N}", "catalog.read catalog.write", ["organizer"]);
            catalog.DefaultRequestHeaders.Authorization = new("Bearer", token);
            using var response = await catalog.SendAsync(Post("/organizer/venues", Json(2 * 1024 * 1024 + 1)), ct);
            await ProblemAnswer.ExpectAsync(response, HttpStatusCode.RequestEntityTooLarge, "body-too-large", "POST catalog /organizer/venues with 2 MB + 1 byte");
            using var withinLimit = await catalog.SendAsync(Post("/organizer/venues", Json(overDefault)), ct);
            Assert.Equal(HttpStatusCode.BadRequest, withinLimit.StatusCode);
        }
    }

    /// <summary>
    /// A post that announces its body and waits for the server's go-ahead (<c>Expect: 100-continue</c>)
    /// before sending it, as large uploads do: the server refuses by the announced length and the
    /// client sends nothing more. Sent at once, a refused body is cut off mid-write (Kestrel closes
    /// the connection after its 413) and the client may see a broken pipe instead of the answer.
    /// </summary>
    private static HttpRequestMessage Post(string path, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.ExpectContinue = true;
        return request;
    }

    /// <summary>A JSON body of <paramref name="size"/> bytes: a string of spaces, read only if the limit lets it through.</summary>
    private static ByteArrayContent Json(int size)
    {
        var bytes = new byte[size];
        Array.Fill(bytes, (byte)' ');
        bytes[0] = (byte)'"';
        bytes[^1] = (byte)'"';
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");
        return content;
    }
}
