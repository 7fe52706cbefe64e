using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Boxoffice.Tests.Storefront;

/// <summary>
/// One person's browser: a fresh context (its own cookies) at the gateway's public address, on a
/// desktop or phone-sized screen. It records every console error, uncaught script error and
/// Content-Security-Policy violation, which <see cref="AssertClean"/> requires to be none.
/// </summary>
internal sealed partial class BrowserSession : IAsyncDisposable
{
    private readonly List<string> _errors = [];
    private readonly HashSet<string> _refusedPages = [];

    private BrowserSession(IBrowserContext context, IPage page, Uri baseAddress)
    {
        Context = context;
        Page = page;
        BaseAddress = baseAddress;
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !IsRefusedPage(message))
            {
                lock (_errors)
                {
                    _errors.Add($"console {message.Type} on {Page.Url}: {message.Text}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_errors)
            {
                _errors.Add($"script error on {Page.Url}: {error}");
            }
        };
        page.Response += (_, response) =>
        {
            // A page the server answered with a 4xx on purpose (a refusal shown as a page) is logged
            // by Chromium as a failed load; that line is the status, not a fault of the page.
            if (response.Request.IsNavigationRequest && response.Status is >= 400 and < 500)
            {
                lock (_errors)
                {
                    _refusedPages.Add(response.Url);
                }
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public Uri BaseAddress { get; }

    public static async Task<BrowserSession> OpenAsync(BoxofficeApp boxoffice, Chromium chromium, bool phone = false)
    {
        var baseAddress = boxoffice.App.GetEndpoint("gateway", "http");
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1280, Height = 900 },
            IsMobile = phone,
            HasTouch = phone,
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        return new BrowserSession(context, page, baseAddress);
    }

    /// <summary>Registers on the storefront's page, then signs in on the identity server's login page; back on the bill, signed in.</summary>
    public async Task<string> RegisterAndSignInAsync(string password = "correct horse battery staple")
    {
        var email = $"web-{Guid.NewGuid():N}@example.com";
        await Page.GotoAsync("/register");
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await SignInOnLoginPageAsync(email, password);
        return email;
    }

    /// <summary>From the storefront's sign-in link through the identity server's login page and back.</summary>
    public async Task SignInAsync(string email, string password, string returnTo = "/")
    {
        await Page.GotoAsync("/signin?returnUrl=" + Uri.EscapeDataString(returnTo));
        await SignInOnLoginPageAsync(email, password);
    }

    private async Task SignInOnLoginPageAsync(string email, string password)
    {
        await UntilAsync(url => LoginPage().IsMatch(url), "the identity server's login page");
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await UntilAsync(url => !LoginPage().IsMatch(url) && !url.Contains("/signin", StringComparison.Ordinal), "back on the storefront, signed in");
        await Assertions.Expect(Page.Locator("header.site .who")).ToHaveTextAsync(email);
    }

    /// <summary>Until the page's address satisfies <paramref name="arrived"/>; otherwise fails saying where the browser is and what it shows.</summary>
    private async Task UntilAsync(Func<string, bool> arrived, string where)
    {
        try
        {
            await Page.WaitForURLAsync(arrived);
        }
        catch (TimeoutException)
        {
            var shown = await Page.EvaluateAsync<string>("() => document.body ? document.body.innerText : document.documentElement.outerHTML");
            Assert.Fail($"The browser did not get {where}; it is at {Page.Url}, showing: {shown[..Math.Min(shown.Length, 600)]}");
        }
    }

    /// <summary>Saves the page as it looks now into BOXOFFICE_SCREENSHOTS (the README's pictures), when that is set.</summary>
    public async Task ScreenshotAsync(string name)
    {
        if (Environment.GetEnvironmentVariable("BOXOFFICE_SCREENSHOTS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
        }
    }

    /// <summary>No console errors, script errors or CSP violations on any page this session opened.</summary>
    public void AssertClean()
    {
        lock (_errors)
        {
            Assert.True(_errors.Count == 0, "The pages reported errors:\n" + string.Join("\n", _errors));
        }
    }

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();

    private bool IsRefusedPage(IConsoleMessage message)
    {
        lock (_errors)
        {
            return message.Text.StartsWith("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal)
                && _refusedPages.Any(url => message.Location.StartsWith(url, StringComparison.Ordinal));
        }
    }

    [GeneratedRegex("/account/login")]
    private static partial Regex LoginPage();
}
