using System.Net;
using Boxoffice.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Boxoffice.UnitTests.Gateway;

/// <summary>
/// Which requests the gateway sends again when the connection to a service broke before an
/// answer: idempotent methods, and a keyed POST only on a route whose service honours the key.
/// Replaying a keyed POST elsewhere (registration, check-in) would do its work twice.
/// </summary>
public sealed class ReplayOnLostConnectionTests
{
    [Theory]
    [InlineData("GET", false, false)]
    [InlineData("PUT", false, false)]
    [InlineData("DELETE", false, false)]
    [InlineData("POST", true, true)]
    public async Task A_request_that_may_be_sent_twice_is_sent_again_after_a_lost_connection(string method, bool key, bool honoured)
    {
        var service = new LosesFirstConnections(1);
        using var client = new HttpMessageInvoker(new ReplayOnLostConnection(service));

        using var response = await client.SendAsync(Request(method, key, honoured), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, service.Sends);
        // A body is sent whole again, not the rest of a stream the first attempt had read.
        Assert.All(service.Bodies, body => Assert.Equal(method is "POST" or "PUT" ? "{\"quantity\":2}" : null, body));
    }

    [Theory]
    [InlineData(true, false)] // a key the route's service does not honour: only a header
    [InlineData(false, true)] // a route that honours keys, but no key sent
    [InlineData(false, false)]
    public async Task A_POST_is_sent_once_unless_its_route_honours_the_key_it_carries(bool key, bool honoured)
    {
        var service = new LosesFirstConnections(1);
        using var client = new HttpMessageInvoker(new ReplayOnLostConnection(service));

        await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Request("POST", key, honoured), TestContext.Current.CancellationToken));

        Assert.Equal(1, service.Sends);
    }

    [Fact]
    public async Task Replays_stop_after_three()
    {
        var service = new LosesFirstConnections(10);
        using var client = new HttpMessageInvoker(new ReplayOnLostConnection(service));

        await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Request("GET", key: false, honoured: false), TestContext.Current.CancellationToken));

        Assert.Equal(4, service.Sends);
    }

    [Fact]
    public async Task Only_the_routes_the_configuration_marks_honour_keys_and_they_are_bookings_holds_and_orders()
    {
        var routes = Routes();
        var marked = routes.Where(route => route.Metadata?.GetValueOrDefault(HonouredKeys.MetadataKey) == HonouredKeys.Honoured).Select(route => route.RouteId).Order();
        Assert.Equal(["booking-checkout", "booking-hold"], marked);

        foreach (var route in routes)
        {
            var context = new TransformBuilderContext { Route = route, Services = null! };
            new HonouredKeys().Apply(context);
            using var request = new HttpRequestMessage(HttpMethod.Post, "http://service/");
            foreach (var transform in context.RequestTransforms)
            {
                await transform.ApplyAsync(new RequestTransformContext { HttpContext = new DefaultHttpContext(), ProxyRequest = request, Path = "/" });
            }

            var honoured = request.Options.TryGetValue(ReplayOnLostConnection.KeyHonoured, out var value) && value;
            Assert.True(honoured == marked.Contains(route.RouteId), $"{route.RouteId}: marked {honoured}");
        }
    }

    [Fact]
    public void A_misspelt_marking_is_refused_when_the_routes_load()
    {
        var context = new TransformRouteValidationContext
        {
            Route = new RouteConfig { RouteId = "r", Metadata = new Dictionary<string, string> { [HonouredKeys.MetadataKey] = "yes" } },
            Services = null!,
        };

        new HonouredKeys().ValidateRoute(context);

        Assert.Single(context.Errors);
    }

    private static HttpRequestMessage Request(string method, bool key, bool honoured)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), "http://service/holds");
        if (method is "POST" or "PUT")
        {
            request.Content = new StringContent("{\"quantity\":2}", System.Text.Encoding.UTF8, "application/json");
        }

        if (key)
        {
            request.Headers.Add("Idempotency-Key", "k-1");
        }

        if (honoured)
        {
            request.Options.Set(ReplayOnLostConnection.KeyHonoured, true);
        }

        return request;
    }

    /// <summary>The gateway's routes as its appsettings.json configures them.</summary>
    private static List<RouteConfig> Routes()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Repository.Root, "Services", "Gateway", "appsettings.json"))
            .Build();
        return [.. configuration.GetSection("ReverseProxy:Routes").GetChildren().Select(route => new RouteConfig
        {
            RouteId = route.Key,
            Metadata = route.GetSection("Metadata").GetChildren().ToDictionary(entry => entry.Key, entry => entry.Value ?? ""),
        })];
    }

    /// <summary>A service whose first <paramref name="failures"/> connections break before an answer.</summary>
    private sealed class LosesFirstConnections(int failures) : HttpMessageHandler
    {
        public int Sends { get; private set; }

        public List<string?> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Sends++;
            Bodies.Add(request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken));
            if (Sends <= failures)
            {
                throw new HttpRequestException("The connection was reset before an answer.");
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
