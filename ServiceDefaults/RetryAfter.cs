using System.Globalization;

namespace Microsoft.AspNetCore.Http;

/// <summary>The <c>Retry-After</c> a refusal, or an answer still in progress, carries: whole seconds, rounded up, never less than one.</summary>
public static class RetryAfter
{
    /// <summary>Sets the header for a wait of <paramref name="wait"/>; the seconds written.</summary>
    public static int Set(HttpResponse response, TimeSpan wait)
    {
        var seconds = Seconds(wait);
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return seconds;
    }

    /// <summary>Whole seconds, rounded up, at least one (a client told 0 would retry at once).</summary>
    public static int Seconds(TimeSpan wait) => wait <= TimeSpan.Zero ? 1 : (int)Math.Min(int.MaxValue, Math.Max(1, Math.Ceiling(wait.TotalSeconds)));
}
