namespace Boxoffice.UnitTests;

/// <summary>Compares a rule's errors (field to messages, as a validation problem carries them) with what a client should read.</summary>
internal static class Errors
{
    public static void AssertEqual(Dictionary<string, string[]> errors, params (string Field, string Message)[] expected) =>
        Assert.Equal(
            expected.Select(error => $"{error.Field}: {error.Message}").Order(StringComparer.Ordinal),
            errors.SelectMany(error => error.Value.Select(message => $"{error.Key}: {message}")).Order(StringComparer.Ordinal));
}
