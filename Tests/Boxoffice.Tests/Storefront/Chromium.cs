using Microsoft.Playwright;

namespace Boxoffice.Tests.Storefront;

/// <summary>
/// The machine's Chromium, driven by Playwright, started once for the browser tests. Playwright
/// cannot download its own browsers here, so it launches the system's: <c>BOXOFFICE_CHROMIUM</c>
/// when set, else <c>chromium</c> (Debian's package) or Chrome found on <c>PATH</c>.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var executable = Find() ?? throw new InvalidOperationException(
            "The storefront's browser tests need Chromium: install it (Debian/Ubuntu: apt-get install chromium), or set BOXOFFICE_CHROMIUM to a Chromium or Chrome executable.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // As root (CI containers) Chromium's sandbox cannot start; /dev/shm is small in containers.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            // Bounded, so a browser that will not close cannot keep the run from finishing.
            try
            {
                await Browser.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1));
            }
            catch (TimeoutException)
            {
                await Console.Error.WriteLineAsync("Chromium did not close within a minute; leaving it to the host's exit.");
            }
        }

        _playwright?.Dispose();
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("BOXOFFICE_CHROMIUM") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return Names.SelectMany(name => path.Select(folder => Path.Combine(folder, name))).FirstOrDefault(File.Exists);
    }
}
