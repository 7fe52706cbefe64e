using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Boxoffice.Identity.Extensions;

/// <summary>What identity does for a sale, in numbers (Prometheus names: boxoffice_identity_*).</summary>
internal static class IdentityMetrics
{
    private static readonly Meter Meter = new("Boxoffice.Identity");

    private static readonly Counter<long> TokensIssued = Meter.CreateCounter<long>(
        "boxoffice.identity.tokens_issued", "{token}", "Token responses issued by the token endpoint, by grant type (client_credentials, authorization_code, refresh_token).");

    private static readonly Counter<long> TokensRefused = Meter.CreateCounter<long>(
        "boxoffice.identity.tokens_refused", "{request}", "Token requests this service's handler refused after OpenIddict accepted them, by grant type (the user is gone, a client may not act for a buyer).");

    private static readonly Counter<long> SignInFailures = Meter.CreateCounter<long>(
        "boxoffice.identity.sign_in_failures", "{attempt}", "Sign-ins on the login page that failed, by reason: credentials (wrong e-mail or password) or throttled (too many failures).")
        .StartingAtZero("reason", "credentials", "throttled");

    /// <summary>Counts the token endpoint's answer by what it is: a sign-in issues tokens, anything else refuses.</summary>
    public static IResult Token(string? grantType, IResult answer)
    {
        var tag = new KeyValuePair<string, object?>("grant_type", grantType is { Length: <= 64 } ? grantType : "other");
        (answer is SignInHttpResult ? TokensIssued : TokensRefused).Add(1, tag);
        return answer;
    }

    public static void SignInFailed(string reason) => SignInFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
