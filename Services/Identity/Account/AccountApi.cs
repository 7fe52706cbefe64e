using System.Net.Mail;
using System.Security.Claims;
using Boxoffice.Identity.Data;
using Boxoffice.Identity.Extensions;
using Boxoffice.Identity.Seeding;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Boxoffice.Identity.Account;

internal static class AccountApi
{
    public const string FailedSignIn = "The email or password is not right.";
    private const int MinPasswordLength = 12;
    private const int MaxPasswordLength = 128;

    public static IEndpointRouteBuilder MapAccountApi(this IEndpointRouteBuilder routes)
    {
        // Signing in and registering are for people without a token yet.
        var account = routes.MapGroup("/account").WithTags("Account").AllowAnonymous();
        account.MapGet("/login", ShowLogin).ExcludeFromDescription();
        account.MapPost("/login", SignIn).ExcludeFromDescription();
        account.MapPost("/register", Register).DisableAntiforgery().WithName("RegisterBuyer");
        return routes;
    }

    private static ContentHttpResult ShowLogin(HttpContext http, IAntiforgery antiforgery, string? returnUrl) =>
        Page(http, antiforgery, LocalOrRoot(returnUrl), email: "", error: null, StatusCodes.Status200OK);

    /// <summary>
    /// Checks the password and signs the user in with a cookie, then returns to where the sign-in
    /// started (the authorization endpoint). A wrong password and an unknown account answer alike,
    /// and take about as long; repeated failures are refused for a while.
    /// </summary>
    private static async Task<IResult> SignIn(
        HttpContext http,
        [FromForm] LoginForm form,
        IdentityDb db,
        IPasswordHasher<User> hasher,
        SignInThrottle throttle,
        IAntiforgery antiforgery,
        CancellationToken cancellationToken)
    {
        var returnUrl = LocalOrRoot(form.ReturnUrl);
        var email = (form.Email ?? "").Trim();
        var normalized = User.Normalize(email);
        var address = http.Connection.RemoteIpAddress;
        if (await throttle.RefusedForAsync(normalized, address) is { } wait)
        {
            RetryAfter.Set(http.Response, wait);
            IdentityMetrics.SignInFailed("throttled");
            return Page(http, antiforgery, returnUrl, email, "Too many failed sign-ins. Try again later.", StatusCodes.Status429TooManyRequests);
        }

        var user = email.Length is > 0 and <= 254
            ? await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedEmail == normalized, cancellationToken)
            : null;
        var password = form.Password ?? "";
        var checkable = user is not null && password.Length <= MaxPasswordLength;
        var result = checkable
            ? hasher.VerifyHashedPassword(user!, user!.PasswordHash, password)
            : PasswordVerificationResult.Failed;
        var verified = result != PasswordVerificationResult.Failed;
        // Every sign-in costs what checking a current hash costs, so timing does not tell which
        // accounts exist: the same work for an unknown account (or a password too long to check),
        // the rest of it for an account whose hash is older than today's iterations.
        if (checkable)
        {
            PasswordHashing.PadToCurrentCost(user!.PasswordHash, password);
        }
        else
        {
            hasher.VerifyHashedPassword(Unknown, UnknownHash(hasher), password);
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            // Hashed with fewer iterations than today's (or an older format): the password is at
            // hand, so the stored hash is brought up to date.
            await db.Users.Where(u => u.Id == user!.Id)
                .ExecuteUpdateAsync(set => set.SetProperty(u => u.PasswordHash, hasher.HashPassword(user!, password)), cancellationToken);
        }

        if (!verified)
        {
            await throttle.RecordFailureAsync(normalized, address);
            IdentityMetrics.SignInFailed("credentials");
            return Page(http, antiforgery, returnUrl, email, FailedSignIn, StatusCodes.Status400BadRequest);
        }

        await throttle.ResetAsync(normalized, address);
        var identity = new ClaimsIdentity(CookieAuthenticationDefaults.AuthenticationScheme, Claims.Subject, Claims.Role);
        identity.AddClaim(new Claim(Claims.Subject, user!.Id.ToString()));
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return Results.Redirect(returnUrl);
    }

    /// <summary>Creates a buyer account. Organizers and staff are not self-registered.</summary>
    private static async Task<Results<Created<RegisteredUser>, ValidationProblem, ProblemHttpResult>> Register(
        RegisterRequest request,
        HttpContext http,
        RegistrationThrottle throttle,
        IdentityDb db,
        IPasswordHasher<User> hasher,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var email = request.Email?.Trim() ?? "";
        var errors = new Dictionary<string, string[]>();
        if (!IsEmail(email))
        {
            errors["email"] = ["Enter an email address such as name@example.com."];
        }

        if (request.Password is not { Length: >= MinPasswordLength and <= MaxPasswordLength })
        {
            errors["password"] = [$"Choose a password of {MinPasswordLength} to {MaxPasswordLength} characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await throttle.TakeAsync(http.Connection.RemoteIpAddress) is { } wait)
        {
            RetryAfter.Set(http.Response, wait);
            return Problems.Of(ProblemTypes.RateLimited, "Too many accounts created from this address.",
                "Accounts created from one address are limited per hour; try again after Retry-After.");
        }

        var normalized = User.Normalize(email);
        if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, cancellationToken))
        {
            return AccountExists();
        }

        var user = new User
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            Email = email,
            NormalizedEmail = normalized,
            PasswordHash = "",
            Roles = [BoxofficeAuth.Roles.Buyer],
            CreatedAt = time.GetUtcNow(),
        };
        user.PasswordHash = hasher.HashPassword(user, request.Password!);
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            return AccountExists();
        }

        return TypedResults.Created($"/account/users/{user.Id}", new RegisteredUser(user.Id, user.Email, user.Roles));
    }

    private static ProblemHttpResult AccountExists() =>
        Problems.Of(ProblemTypes.AccountExists, title: "An account with this email already exists.");

    private static ContentHttpResult Page(HttpContext http, IAntiforgery antiforgery, string returnUrl, string email, string? error, int status)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var clients = http.RequestServices.GetRequiredService<IOptions<IdentitySettings>>().Value.Clients.Values;
        http.Response.Headers.ContentSecurityPolicy = LoginPage.ContentSecurityPolicy(clients.SelectMany(client => client.RedirectUris));
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Content(LoginPage.Render(tokens.FormFieldName, tokens.RequestToken!, returnUrl, email, error), "text/html; charset=utf-8", statusCode: status);
    }

    /// <summary>Only a path on this site: never an open redirect to another origin.</summary>
    internal static string LocalOrRoot(string? returnUrl) =>
        returnUrl is { Length: > 0 and <= 4096 }
        && returnUrl[0] == '/'
        && (returnUrl.Length == 1 || (returnUrl[1] != '/' && returnUrl[1] != '\\'))
        && !returnUrl.Contains('\n') && !returnUrl.Contains('\r')
            ? returnUrl
            : "/";

    private static bool IsEmail(string email) =>
        email.Length is > 3 and <= 254 && MailAddress.TryCreate(email, out var parsed) && parsed.Address == email && email.Contains('.', StringComparison.Ordinal);

    private static readonly User Unknown = new() { Email = "", NormalizedEmail = "", PasswordHash = "", Roles = [] };
    private static string? _unknownHash;

    /// <summary>A hash made by the configured hasher, so checking it costs what checking a real one does.</summary>
    private static string UnknownHash(IPasswordHasher<User> hasher) => _unknownHash ??= hasher.HashPassword(Unknown, Guid.NewGuid().ToString());
}

internal sealed record LoginForm(string? Email, string? Password, string? ReturnUrl);

/// <summary>A buyer's registration; both fields are checked in the handler, which lists every problem at once.</summary>
internal sealed record RegisterRequest(string? Email, string? Password);

internal sealed record RegisteredUser(Guid Id, string Email, IReadOnlyList<string> Roles);
