using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Boxoffice.Bench.BookingLoad;

/// <summary>
/// The identity server's token endpoint under load, one grant at a time, each for the same number
/// of seconds with <c>lanes</c> requests in flight: client credentials (a crowd's machine client
/// signing in synthetic buyers, as the flash-sale harness does); the authorization code flow
/// (authorize with a signed-in session, then the code exchanged with its PKCE verifier); and
/// refresh tokens, each lane redeeming the one it got last. Each grant is warmed up for
/// <c>warmup</c> seconds first (JIT tiering and dynamic PGO settle: with 3 s the same build
/// measured 700-880 client-credentials tokens a second, with 10 s 1,300). Prints name=value lines for
/// bench/identity.sh; any answer but a token is counted as an error and its first few printed.
/// </summary>
internal static class Tokens
{
    private const string Redirect = "http://localhost:5173/callback";

    public static async Task RunAsync(string identity, string crowdClient, string crowdSecret, string webClient, string email, string password,
        int lanes, int seconds, int warmUpSeconds, IReadOnlySet<string> grants, ProcessCpu cpu)
    {
        using var http = Sales.Client(identity, lanes);
        var duration = TimeSpan.FromSeconds(seconds);
        var warmUp = TimeSpan.FromSeconds(warmUpSeconds);
        var errors = 0L;

        // Warms up, then measures the grant's rate and the CPU each process spent on it.
        async Task Measure(string grant, Func<int, Task<bool>> call)
        {
            await MeasureAsync(lanes, warmUp, call);
            var before = cpu.Read();
            var (issued, elapsed) = await MeasureAsync(lanes, duration, call);
            var used = cpu.Read();
            Console.WriteLine($"{grant}_tokens={issued}");
            Console.WriteLine($"{grant}_per_second={(issued / elapsed.TotalSeconds).ToString("F1", CultureInfo.InvariantCulture)}");
            foreach (var (name, ms) in used)
            {
                var per = issued == 0 ? 0 : (ms - before[name]) / issued;
                Console.WriteLine($"{grant}_cpu_ms_{name}={per.ToString("F3", CultureInfo.InvariantCulture)}");
            }
        }

        var buyer = 0L;
        async Task<bool> ClientCredentials()
        {
            using var response = await http.PostAsync("connect/token", Form(
                ("grant_type", "client_credentials"), ("client_id", crowdClient), ("client_secret", crowdSecret),
                ("scope", "booking"), ("buyer", $"bench-{Interlocked.Increment(ref buyer)}")));
            return await IsTokenAsync(response);
        }

        if (grants.Contains("client_credentials"))
        {
            await Measure("client_credentials", _ => ClientCredentials());
        }

        if (!grants.Contains("authorization_code") && !grants.Contains("refresh_token"))
        {
            Console.WriteLine($"errors={Interlocked.Read(ref errors)}");
            return;
        }

        // One signed-in browser session per lane (one password check each, before the clock).
        var browsers = new HttpClient[lanes];
        var refreshTokens = new string[lanes];
        for (var lane = 0; lane < lanes; lane++)
        {
            browsers[lane] = Browser(identity);
            await SignInAsync(browsers[lane], webClient, email, password);
        }

        async Task<bool> Exchange(int lane)
        {
            var (verifier, challenge) = Pkce();
            using var authorize = await browsers[lane].GetAsync(
                $"connect/authorize?client_id={webClient}&response_type=code&redirect_uri={Uri.EscapeDataString(Redirect)}" +
                $"&scope={Uri.EscapeDataString("openid offline_access booking")}&code_challenge={challenge}&code_challenge_method=S256&state=bench");
            var code = authorize.StatusCode == HttpStatusCode.Found ? Query(authorize.Headers.Location!, "code") : null;
            if (code is null)
            {
                return Failed($"authorize {(int)authorize.StatusCode} {authorize.Headers.Location}");
            }

            using var response = await http.PostAsync("connect/token", Form(
                ("grant_type", "authorization_code"), ("client_id", webClient), ("code", code), ("code_verifier", verifier), ("redirect_uri", Redirect)));
            var token = await TokenAsync(response);
            refreshTokens[lane] = token?.GetProperty("refresh_token").GetString() ?? refreshTokens[lane];
            return token is not null;
        }

        if (grants.Contains("authorization_code"))
        {
            await Measure("authorization_code", Exchange);
        }
        else
        {
            // A refresh token for every lane to start its chain from.
            await Task.WhenAll(Enumerable.Range(0, lanes).Select(Exchange));
        }

        async Task<bool> Refresh(int lane)
        {
            using var response = await http.PostAsync("connect/token", Form(
                ("grant_type", "refresh_token"), ("client_id", webClient), ("refresh_token", refreshTokens[lane])));
            var token = await TokenAsync(response);
            refreshTokens[lane] = token?.GetProperty("refresh_token").GetString() ?? refreshTokens[lane];
            return token is not null;
        }

        if (grants.Contains("refresh_token"))
        {
            await Measure("refresh_token", Refresh);
        }

        Console.WriteLine($"errors={Interlocked.Read(ref errors)}");

        foreach (var browser in browsers)
        {
            browser.Dispose();
        }

        bool Failed(string what)
        {
            if (Interlocked.Increment(ref errors) <= 5)
            {
                Console.Error.WriteLine(what);
            }

            return false;
        }

        async Task<JsonElement?> TokenAsync(HttpResponseMessage response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Failed($"token {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                return null;
            }

            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }

        async Task<bool> IsTokenAsync(HttpResponseMessage response) =>
            await TokenAsync(response) is { } token && (token.TryGetProperty("access_token", out _) || Failed("token: an answer without an access token"));
    }

    /// <summary>Runs <paramref name="lanes"/> loops of <paramref name="call"/> (given its lane) for the duration; counts the calls that succeeded.</summary>
    private static async Task<(long Succeeded, TimeSpan Elapsed)> MeasureAsync(int lanes, TimeSpan duration, Func<int, Task<bool>> call)
    {
        long succeeded = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, lanes).Select(async lane =>
        {
            while (clock.Elapsed < duration)
            {
                if (await call(lane))
                {
                    Interlocked.Increment(ref succeeded);
                }
            }
        }));
        return (succeeded, clock.Elapsed);
    }

    /// <summary>Signs the session in: the authorization request sends it to the login page, whose form is posted.</summary>
    private static async Task SignInAsync(HttpClient browser, string webClient, string email, string password)
    {
        var (_, challenge) = Pkce();
        using var toLogin = await browser.GetAsync(
            $"connect/authorize?client_id={webClient}&response_type=code&redirect_uri={Uri.EscapeDataString(Redirect)}" +
            $"&scope=openid&code_challenge={challenge}&code_challenge_method=S256&state=bench");
        if (toLogin.StatusCode != HttpStatusCode.Found)
        {
            throw new InvalidOperationException($"The authorization request answered {(int)toLogin.StatusCode}, not a redirect to the login page.");
        }

        var page = await browser.GetStringAsync(toLogin.Headers.Location!.PathAndQuery);
        using var signedIn = await browser.PostAsync("account/login", Form(
            ("__RequestVerificationToken", WebUtility.HtmlDecode(Hidden(page, "__RequestVerificationToken"))),
            ("returnUrl", WebUtility.HtmlDecode(Hidden(page, "returnUrl"))),
            ("email", email), ("password", password)));
        if (signedIn.StatusCode != HttpStatusCode.Found)
        {
            throw new InvalidOperationException($"Signing {email} in answered {(int)signedIn.StatusCode}.");
        }
    }

    private static HttpClient Browser(string identity) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true }) { BaseAddress = new Uri(identity) };

    private static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(field => KeyValuePair.Create(field.Name, field.Value)));

    private static string Hidden(string html, string name) =>
        Regex.Match(html, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\"") is { Success: true } match
            ? match.Groups[1].Value
            : throw new InvalidOperationException($"The login page has no field {name}.");

    private static string? Query(Uri location, string name) =>
        location.Query.TrimStart('?').Split('&').Select(pair => pair.Split('=', 2)).FirstOrDefault(pair => pair[0] == name) is [_, var value]
            ? Uri.UnescapeDataString(value)
            : null;
}

/// <summary>
/// CPU time (user + system, the processes' own and their ended children's) used so far by named
/// groups of this machine's processes, each group the processes whose command line matches its
/// pattern (one service, or PostgreSQL's server with every backend),
/// read from /proc: read before and after a measured window, divided by its requests.
/// </summary>
internal sealed class ProcessCpu(IReadOnlyDictionary<string, Regex> groups)
{
    private static readonly double MillisecondsPerTick = 1000.0 / 100; // USER_HZ, 100 on Linux

    /// <summary>From <c>name:pattern,name:pattern</c>.</summary>
    public static ProcessCpu Parse(string? spec) => new((spec ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
        .Select(group => group.Split(':', 2))
        .ToDictionary(group => group[0], group => new Regex(group[1], RegexOptions.CultureInvariant)));

    public Dictionary<string, double> Read()
    {
        var used = groups.Keys.ToDictionary(name => name, _ => 0.0);
        foreach (var process in Directory.EnumerateDirectories("/proc").Where(path => char.IsAsciiDigit(Path.GetFileName(path)[0])))
        {
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(process, "cmdline")).Replace('\0', ' ');
                var stat = File.ReadAllText(Path.Combine(process, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // utime, stime, and cutime, cstime: a PostgreSQL backend that exits during the
                // window leaves its time in the postmaster's children's fields, so the sum goes on.
                var ticks = fields[11..15].Sum(field => long.Parse(field, CultureInfo.InvariantCulture));
                foreach (var (name, pattern) in groups)
                {
                    if (pattern.IsMatch(commandLine))
                    {
                        used[name] += ticks * MillisecondsPerTick;
                    }
                }
            }
            catch (IOException)
            {
                // The process ended between the listing and the read.
            }
        }

        return used;
    }
}
