using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Boxoffice.Tests.Booking;
using Boxoffice.Tests.Catalog;
using Boxoffice.Tests.WaitingRoom;
using Microsoft.Playwright;
using ZXing;

namespace Boxoffice.Tests.Storefront;

/// <summary>
/// The storefront as people use it: Chromium, through the gateway's public address, against the
/// whole running app. Every test also requires its pages to log no console error and to break no
/// rule of their Content-Security-Policy.
/// </summary>
[Collection<RunningApp>]
public sealed class StorefrontTests(BoxofficeApp boxoffice, Chromium chromium) : IClassFixture<Chromium>
{
    [Fact]
    public async Task A_buyer_registers_searches_queues_picks_seats_pays_and_gets_tickets_whose_QR_codes_the_door_admits_once()
    {
        var eventId = await SeatedQueuedEventAsync("Fado in the dark");
        await using var browser = await BrowserSession.OpenAsync(boxoffice, chromium);
        var page = browser.Page;
        await browser.RegisterAndSignInAsync();

        // The bill: search by text, city and date finds the event.
        await page.GotoAsync("/");
        await page.GetByLabel("Event or venue").FillAsync(Name(eventId));
        await page.GetByLabel("City").FillAsync("coimbra");
        await page.GetByLabel("From").FillAsync(DateTime.UtcNow.AddDays(59).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page.Locator(".count")).ToHaveTextAsync("1 event");
        await browser.ScreenshotAsync("bill");
        await page.GetByRole(AriaRole.Link, new() { NameRegex = new System.Text.RegularExpressions.Regex("Fado in the dark") }).ClickAsync();

        // The event has a waiting room: join it; the turn comes and the page moves on by itself.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Waiting room" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Join the queue" }).ClickAsync();
        await page.WaitForURLAsync($"**/events/{eventId}", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator(".notice")).ToContainTextAsync("You are in");

        // Two seats from the seat map.
        await page.Locator($"input[name=seat][value='Stalls/A/3'] + label").ClickAsync();
        await page.Locator($"input[name=seat][value='Stalls/A/4'] + label").ClickAsync();
        await browser.ScreenshotAsync("event");
        await page.GetByRole(AriaRole.Button, new() { Name = "Hold selected seats" }).ClickAsync();

        // Checkout: the hold with its countdown; placing the order.
        await page.WaitForURLAsync("**/checkout/*");
        await Assertions.Expect(page.Locator("[data-field=amount]")).ToHaveTextAsync("91.00 EUR");
        await Assertions.Expect(page.Locator("[data-countdown-left]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\(0:1\d left\)$|^\(0:0\d left\)$|^\(0:20 left\)$"));
        await browser.ScreenshotAsync("checkout");
        await page.GetByRole(AriaRole.Button, new() { Name = "Place order and pay" }).ClickAsync();

        // The order page follows the payment to confirmed and shows one ticket per seat.
        await page.WaitForURLAsync("**/orders/*");
        await Assertions.Expect(page.Locator("[data-status=confirmed]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        var tickets = page.Locator("[data-ticket]");
        await Assertions.Expect(tickets).ToHaveCountAsync(2);
        await browser.ScreenshotAsync("tickets");

        // Each QR code, read from the image the browser shows, is the ticket's signed code, which
        // the door admits once.
        using var staff = await Buyer.StaffAsync(boxoffice, $"event:{eventId}");
        for (var index = 0; index < 2; index++)
        {
            var ticket = tickets.Nth(index);
            var decoded = await DecodeQrAsync(ticket.Locator("[data-code-image]"));
            Assert.Equal(await ticket.Locator("[data-code]").TextContentAsync(), decoded);
            await staff.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/tickets/check-in", new { code = decoded });
            var again = await staff.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, "/tickets/check-in", new { code = decoded });
            Assert.EndsWith("/already-checked-in", again.GetProperty("type").GetString());
        }

        // My orders lists it.
        await page.GetByRole(AriaRole.Link, new() { Name = "My orders" }).ClickAsync();
        await Assertions.Expect(page.Locator("table.orders tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("table.orders")).ToContainTextAsync("confirmed");
        browser.AssertClean();
    }

    [Fact]
    public async Task A_buyer_who_queues_for_a_sold_out_sale_is_told_it_is_sold_out()
    {
        var sale = await QueuedSale.OpenAsync(boxoffice, new { admitPerSecond = 50 }, places: 1);
        // Someone else takes the only place first.
        using (var first = await QueueBuyer.NewAsync(boxoffice))
        {
            await first.JoinAsync(sale.EventId);
            var admitted = await first.AdmittedAsync(sale.EventId);
            using var hold = await first.HoldAsync(sale, admitted.Admission);
            Assert.Equal(HttpStatusCode.Created, hold.StatusCode);
        }

        await UntilQueueStateAsync(sale.EventId, "sold-out");
        await using var browser = await BrowserSession.OpenAsync(boxoffice, chromium);
        var page = browser.Page;
        await browser.RegisterAndSignInAsync();
        await page.GotoAsync($"/events/{sale.EventId}");
        await Assertions.Expect(page.Locator("table.tiers .sold-out")).ToHaveTextAsync("Sold out");
        await page.GetByRole(AriaRole.Button, new() { Name = "Join the queue" }).ClickAsync();
        await page.WaitForURLAsync($"**/events/{sale.EventId}/queue");
        await Assertions.Expect(page.Locator(".sold-out-banner")).ToContainTextAsync("Sold out.");
        await browser.ScreenshotAsync("sold-out");
        browser.AssertClean();
    }

    [Fact]
    public async Task A_hold_left_to_expire_on_the_checkout_page_says_so_and_cannot_be_ordered()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        await using var browser = await BrowserSession.OpenAsync(boxoffice, chromium);
        var page = browser.Page;
        await browser.RegisterAndSignInAsync();
        await page.GotoAsync($"/events/{sale.EventId}");
        await page.GetByLabel(new System.Text.RegularExpressions.Regex("^Standing")).SelectOptionAsync("2");
        await page.Locator(".tier-form").Filter(new() { HasText = "Standing" }).GetByRole(AriaRole.Button).ClickAsync();
        await page.WaitForURLAsync("**/checkout/*");

        // The countdown runs out in the page (holds last 20 s in the tests)...
        await Assertions.Expect(page.Locator("[data-expired-message]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Place order and pay" })).ToBeDisabledAsync();
        // ...and the server says the same when asked again.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("[data-problem=hold-expired]")).ToContainTextAsync("Your hold has ended.");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Place order and pay" })).ToHaveCountAsync(0);
        browser.AssertClean();
    }

    [Fact]
    public async Task A_pending_order_page_refreshes_at_the_pace_booking_gives_until_the_payment_is_decided()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        await using var browser = await BrowserSession.OpenAsync(boxoffice, chromium);
        using var provider = await Payments.Provider.ConnectAsync(boxoffice);
        var page = browser.Page;
        await browser.RegisterAndSignInAsync();
        await page.GotoAsync($"/events/{sale.EventId}");
        await page.GetByLabel(new System.Text.RegularExpressions.Regex("^Standing")).SelectOptionAsync("1");
        await page.Locator(".tier-form").Filter(new() { HasText = "Standing" }).GetByRole(AriaRole.Button).ClickAsync();
        await page.WaitForURLAsync("**/checkout/*");
        try
        {
            // Every charge takes 3 s: the order page meets the order while it waits for payment,
            // and refreshes itself as often as booking's Retry-After says (2 s in the tests).
            await provider.SetChaosAsync(new { latencyMs = 3000 });
            await page.GetByRole(AriaRole.Button, new() { Name = "Place order and pay" }).ClickAsync();
            await page.WaitForURLAsync("**/orders/*");
            await Assertions.Expect(page.Locator("[data-status=pending-payment][data-refresh-after='2']")).ToBeVisibleAsync();
        }
        finally
        {
            await provider.CalmAsync();
        }

        await Assertions.Expect(page.Locator("[data-status=confirmed]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("[data-refresh-after]")).ToHaveCountAsync(0);
        browser.AssertClean();
    }

    [Fact]
    public async Task A_buyer_can_check_out_with_the_keyboard_alone()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        await using var browser = await BrowserSession.OpenAsync(boxoffice, chromium);
        var page = browser.Page;
        await browser.RegisterAndSignInAsync();
        await page.GotoAsync($"/events/{sale.EventId}");

        // The first Tab stop is the skip link, which moves focus to the page's content.
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Skip to content", await page.EvaluateAsync<string>("() => document.activeElement.textContent"));

        await TabToAsync(page, $"#quantity-{sale.StandingTierId}");
        await page.Keyboard.PressAsync("ArrowDown");
        await TabToAsync(page, $".tier-form:has(#quantity-{sale.StandingTierId}) button");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/checkout/*");
        await Assertions.Expect(page.Locator("[data-field=amount]")).ToHaveTextAsync("60.00 EUR");

        await TabToAsync(page, "[data-expires-with] button");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/orders/*");
        await Assertions.Expect(page.Locator("[data-status=confirmed]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("[data-ticket]")).ToHaveCountAsync(2);
        browser.AssertClean();
    }

    [Fact]
    public async Task On_a_phone_sized_screen_the_pages_fit_the_width_and_a_buyer_signs_out_of_both_sessions()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        await using var browser = await BrowserSession.OpenAsync(boxoffice, chromium, phone: true);
        var page = browser.Page;
        var email = await browser.RegisterAndSignInAsync();
        foreach (var path in new[] { "/", $"/events/{sale.EventId}", "/orders", "/register" })
        {
            await page.GotoAsync(path);
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"),
                $"{path} is wider than a phone's screen.");
        }

        await page.GotoAsync($"/events/{sale.EventId}");
        await browser.ScreenshotAsync("event-phone");

        // Signing out ends the identity server's session too: the next sign-in asks for the password.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.GotoAsync("/orders");
        await page.WaitForURLAsync("**/account/login**");
        await Assertions.Expect(page.GetByLabel("Password")).ToBeEmptyAsync();
        Assert.False(string.IsNullOrEmpty(email));
        browser.AssertClean();
    }

    [Fact]
    public async Task Unknown_pages_and_missing_events_are_pages_with_their_status_not_errors()
    {
        await using var browser = await BrowserSession.OpenAsync(boxoffice, chromium);
        var page = browser.Page;
        var missing = await page.GotoAsync($"/events/{Guid.NewGuid()}");
        Assert.Equal(404, missing!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        var unknown = await page.GotoAsync("/events/not-an-id/at-all");
        Assert.Equal(404, unknown!.Status);
        Assert.Contains("text/html", await unknown.HeaderValueAsync("content-type") ?? "");
        Assert.DoesNotContain("Exception", await page.ContentAsync());
        browser.AssertClean();
    }

    [Fact]
    public async Task Forged_malformed_or_foreign_posts_and_ids_get_a_4xx_page_and_change_nothing()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        using var other = await Buyer.NewAsync(boxoffice);
        var othersHold = (await other.HoldAsync(sale)).GetProperty("holdId").GetGuid();
        await using var browser = await BrowserSession.OpenAsync(boxoffice, chromium);
        var page = browser.Page;
        await browser.RegisterAndSignInAsync();
        var request = browser.Context.APIRequest;

        // Another buyer's hold is nobody's here: not found, and it cannot be ordered.
        var foreign = await page.GotoAsync($"/checkout/{othersHold}");
        Assert.Equal(404, foreign!.Status);
        await page.GotoAsync($"/events/{sale.EventId}");
        var token = await page.Locator(".tier-form input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
        var order = await request.PostAsync($"/checkout/{othersHold}/order", new() { Form = Form(request, ("__RequestVerificationToken", token!), ("key", Guid.NewGuid().ToString("N"))), MaxRedirects = 0 });
        Assert.Equal(404, order.Status);

        // A post without the antiforgery token (a form on another site): refused before anything is held.
        var forged = await request.PostAsync($"/events/{sale.EventId}/holds", new() { Form = Form(request, ("tier", sale.StandingTierId.ToString()), ("quantity", "1")), MaxRedirects = 0 });
        Assert.Equal(400, forged.Status);
        Assert.StartsWith("text/html", forged.Headers["content-type"]);

        // Malformed choices: a page that says what to do, nothing held.
        foreach (var (tier, quantity) in new[] { ("not-a-tier", "1"), (sale.StandingTierId.ToString(), "0"), (sale.StandingTierId.ToString(), "9999999999"), (Guid.NewGuid().ToString(), "1") })
        {
            var malformed = await request.PostAsync($"/events/{sale.EventId}/holds", new() { Form = Form(request, ("__RequestVerificationToken", token!), ("tier", tier), ("quantity", quantity)), MaxRedirects = 0 });
            Assert.InRange(malformed.Status, 400, 499);
            Assert.DoesNotContain("Exception", await malformed.TextAsync());
        }

        // Hostile query strings are the first page or a 4xx, never a failure.
        foreach (var path in new[] { "/?page=abc&from=9999-12-31&to=9999-12-31", "/?q=%00", "/?page=99999999999", "/orders?after=not-an-id", $"/events/{sale.EventId}/queue/stream" })
        {
            var answer = await request.GetAsync(path, new() { MaxRedirects = 0 });
            Assert.True(answer.Status < 500, $"{path}: {answer.Status}");
        }

        var orders = await other.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/orders");
        Assert.Equal(0, orders.GetArrayLength());
        browser.AssertClean();
    }

    private static IFormData Form(IAPIRequestContext request, params (string Name, string Value)[] fields)
    {
        var form = request.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }

        return form;
    }

    /// <summary>An on-sale event in Coimbra, 60 days out, with a seated section (rows A and B of 10) and a waiting room.</summary>
    private async Task<Guid> SeatedQueuedEventAsync(string name)
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var venueId = await organizer.CreateVenueAsync(new
        {
            name = "Teatro Académico",
            city = "Coimbra",
            address = "Praça da República",
            sections = new object[] { new { name = "Stalls", kind = "seated", rows = new[] { new { label = "A", seats = 10 }, new { label = "B", seats = 10 } } } },
        });
        var now = DateTimeOffset.UtcNow;
        var created = await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/events", new
        {
            venueId,
            name = $"{name} {Guid.NewGuid():N}",
            description = "Songs of longing, by candlelight.",
            startsAt = now.AddDays(60),
            saleOpensAt = now.AddMinutes(-1),
            saleClosesAt = now.AddDays(59),
            currency = "EUR",
            tiers = new object[] { new { name = "Stalls", price = 45.50m, sections = new[] { "Stalls" } } },
            waitingRoom = new { admitPerSecond = 50 },
        });
        var eventId = created.GetProperty("id").GetGuid();
        _names[eventId] = created.GetProperty("name").GetString()!;
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{eventId}/publish");
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{eventId}/open-sale");
        await QueuedSale.ReadyAsync(boxoffice, eventId);
        return eventId;
    }

    private readonly Dictionary<Guid, string> _names = [];

    private string Name(Guid eventId) => _names[eventId];

    /// <summary>Until the waiting room's public info says <paramref name="state"/>.</summary>
    private async Task UntilQueueStateAsync(Guid eventId, string state)
    {
        using var anonymous = boxoffice.CreateGatewayClient();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var info = await anonymous.GetFromJsonAsync<JsonElement>($"{QueueBuyer.Api}{eventId}", TestContext.Current.CancellationToken);
            if (info.GetProperty("state").GetString() == state)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The queue of {eventId} did not become {state} within 30 s: {info}");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Presses Tab until <paramref name="selector"/> has the focus (at most 200 times).</summary>
    private static async Task TabToAsync(IPage page, string selector)
    {
        for (var presses = 0; presses < 200; presses++)
        {
            if (await page.EvaluateAsync<bool>("selector => document.activeElement?.matches(selector) ?? false", selector))
            {
                return;
            }

            await page.Keyboard.PressAsync("Tab");
        }

        Assert.Fail($"Tab never reached {selector}.");
    }

    /// <summary>
    /// Reads the QR code of an image as the browser drew it: its pixels from a canvas (once the
    /// browser has decoded the image), decoded by ZXing as a pure barcode, which the image is.
    /// ZXing's finder-pattern search (its default) misses about 1 % of perfect QR codes, its own
    /// included, as measured on 3,000 random codes of ticket-code lengths; the pure-barcode reader
    /// read all of them. A fresh-clone run failed on one such code.
    /// </summary>
    private static async Task<string> DecodeQrAsync(ILocator image)
    {
        var pixels = await image.EvaluateAsync<JsonElement>("""
            async image => {
                await image.decode();
                const canvas = document.createElement("canvas");
                canvas.width = image.naturalWidth;
                canvas.height = image.naturalHeight;
                const context = canvas.getContext("2d");
                context.drawImage(image, 0, 0);
                return { width: canvas.width, height: canvas.height, rgba: Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data) };
            }
            """);
        var rgba = pixels.GetProperty("rgba").EnumerateArray().Select(value => (byte)value.GetInt32()).ToArray();
        var source = new RGBLuminanceSource(rgba, pixels.GetProperty("width").GetInt32(), pixels.GetProperty("height").GetInt32(), RGBLuminanceSource.BitmapFormat.RGBA32);
        var result = new BarcodeReaderGeneric { Options = { PossibleFormats = [BarcodeFormat.QR_CODE], PureBarcode = true } }.Decode(source);
        Assert.True(result is not null, $"No QR code in the {pixels.GetProperty("width").GetInt32()}x{pixels.GetProperty("height").GetInt32()} image the page shows.");
        return result.Text;
    }
}
