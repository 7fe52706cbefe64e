using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A <see cref="TimeSpan"/> setting between two bounds, written as TimeSpan text (<c>"00:00:00.100"</c>).
/// <c>[Range(typeof(TimeSpan), ...)]</c> says the same through a type converter it finds by
/// reflection, which a trimmed native build cannot keep; this one needs none.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter)]
public sealed class TimeSpanRangeAttribute(string minimum, string maximum) : ValidationAttribute
{
    public TimeSpan Minimum { get; } = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);

    public TimeSpan Maximum { get; } = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);

    public override bool IsValid(object? value) => value is null || (value is TimeSpan span && span >= Minimum && span <= Maximum);

    public override string FormatErrorMessage(string name) =>
        string.Format(CultureInfo.InvariantCulture, "The field {0} must be between {1} and {2}.", name, Minimum, Maximum);
}
