using Microsoft.Extensions.Hosting;

namespace Boxoffice.UnitTests.ServiceDefaults;

/// <summary>What the SLO counts as good, the caller's fault, or ours (deploy/prometheus/rules/slo.yml counts only "failed" as an error).</summary>
public sealed class HandlingTimeTests
{
    [Theory]
    [InlineData(200, "ok")]
    [InlineData(201, "ok")]
    [InlineData(303, "ok")]
    [InlineData(400, "refused")]
    [InlineData(403, "refused")]
    [InlineData(409, "refused")]
    [InlineData(429, "refused")]
    [InlineData(499, "refused")]
    [InlineData(500, "failed")]
    [InlineData(503, "failed")]
    public void A_status_code_is_ok_refused_or_failed(int statusCode, string outcome) =>
        Assert.Equal(outcome, HandlingTime.Outcome(statusCode));

    [Fact]
    public void The_latency_objective_is_a_bucket_bound()
    {
        // The slow ratio reads the le="0.25" bucket: without that bound it would have no series.
        Assert.Contains(0.25, HandlingTime.Buckets);
        Assert.Equal(HandlingTime.Buckets.Order(), HandlingTime.Buckets);
    }
}
