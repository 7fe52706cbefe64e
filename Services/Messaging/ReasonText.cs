namespace Boxoffice.Messaging;

/// <summary>How a value taken from a message or an answer is quoted in a refusal's reason.</summary>
public static class ReasonText
{
    /// <summary>
    /// The value in quotes, cut to <paramref name="max"/> characters: a reason travels in a
    /// dead-letter copy's headers, a log line or a stored error, and a huge forged value must not
    /// make any of them too large.
    /// </summary>
    public static string Quote(string? text, int max) => text switch
    {
        null => "(none)",
        _ when text.Length > max => $"'{text[..max]}…'",
        _ => $"'{text}'",
    };
}
