using System.Globalization;
using Boxoffice.Storefront.Api;

namespace Boxoffice.Storefront.Components.Pages;

/// <summary>What each refusal means to a buyer, by its stable problem type; the API's own words otherwise.</summary>
internal static class ProblemTexts
{
    public static (string Heading, string Explanation) Describe(ApiProblem problem) => problem.Name switch
    {
        "sold-out" => ("Sold out", "Every place of this tier is taken. Places held by other buyers come back if their holds end unpaid: look again in a few minutes."),
        "seats-unavailable" => ("Those seats were just taken", "Someone else holds or bought them. Pick other seats."),
        "buyer-limit" => ("You have reached this event's ticket limit", problem.Detail ?? "Each buyer may hold or own only so many places of this event."),
        "hold-state" => ("Your hold has ended", "The places were held for a few minutes and that time is up, or the hold was already ordered. Nothing was charged. Hold them again if they are still free."),
        "sale-not-open" => ("The sale is not open", problem.Detail ?? "This event is not on sale right now."),
        "queue-not-open" => ("The waiting room is not open", problem.Detail ?? "It opens before the sale; come back then."),
        "payment-failed" => ("The payment failed", "The payment provider declined the charge. You were not charged; the places were released."),
        "abandoned-holds" => ("Too many unpaid holds", $"You let several holds end without ordering. You can hold again in {Wait(problem)}."),
        "rate-limited" or "organizer-quota" => ("Too many requests", $"Please wait {Wait(problem)} and try again."),
        "not-found" => ("Not found", "There is nothing here. The event may have been removed, or the link is wrong."),
        "unavailable" => ("Briefly unavailable", "Boxoffice could not answer just now. Please try again in a moment."),
        _ when problem.Status == StatusCodes.Status429TooManyRequests => ("Too many requests", $"Please wait {Wait(problem)} and try again."),
        _ when problem.Status == StatusCodes.Status404NotFound => ("Not found", "There is nothing here. The link may be wrong or out of date."),
        _ when problem.Status >= 500 => ("Something went wrong", "Boxoffice could not finish this. Nothing was charged twice; please try again in a moment."),
        _ => (problem.Title, problem.Detail ?? ""),
    };

    /// <summary>How long to wait, in words, from the answer's Retry-After (a few seconds when it gave none).</summary>
    public static string Wait(ApiProblem problem)
    {
        var seconds = (int)Math.Ceiling((problem.RetryAfter ?? TimeSpan.FromSeconds(5)).TotalSeconds);
        return seconds switch
        {
            <= 1 => "1 second",
            < 120 => $"{seconds.ToString(CultureInfo.InvariantCulture)} seconds",
            _ => $"{Math.Ceiling(seconds / 60.0).ToString(CultureInfo.InvariantCulture)} minutes",
        };
    }
}
