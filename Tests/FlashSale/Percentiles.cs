namespace Boxoffice.FlashSale;

/// <summary>The one percentile rule of the harness's figures (and bench/BookingLoad's, linked there).</summary>
public static class Percentiles
{
    /// <summary>The nearest-rank percentile of ascending <paramref name="sorted"/> (0 when empty): the smallest value with at least <paramref name="quantile"/> of them at or below it.</summary>
    public static double Of(double[] sorted, double quantile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}
