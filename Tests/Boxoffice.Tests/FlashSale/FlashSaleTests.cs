using Boxoffice.FlashSale;

namespace Boxoffice.Tests.FlashSale;

/// <summary>
/// The flash-sale harness, CI-sized, against the suite's running AppHost: the organizer opens a
/// sale, a crowd signs in through the real token endpoint and races for the places while faults
/// strike, and the auditor reads every service's database and the provider's records.
/// </summary>
[Collection<RunningApp>]
public sealed class FlashSaleTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task A_crowd_of_1000_for_100_places_through_a_Kafka_outage_and_killed_booking_and_payments_processes_keeps_every_promise()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var target = await AspireTarget.CreateAsync(boxoffice.App, cancellationToken);
        var options = new SaleOptions
        {
            Buyers = 1_000,
            Seats = 100,
            HostileShare = 0.05,
            Arrival = TimeSpan.FromSeconds(3),
            ThinkTime = TimeSpan.FromMilliseconds(300),
            Faults = ["kafka", "booking", "payments"],
            FaultStart = TimeSpan.FromSeconds(2),
            PaymentGrace = BoxofficeApp.PaymentGrace,
            Seed = 6,
            Progress = null,
        };

        SaleReport report;
        try
        {
            report = await FlashSaleRun.RunAsync(target, options, BoxofficeApp.MaxUnitsPerBuyer, cancellationToken);
        }
        finally
        {
            await boxoffice.WaitUntilEverythingHealthyAsync(cancellationToken);
        }

        var text = new StringWriter();
        SaleReportWriter.WriteText(report, text);
        TestContext.Current.TestOutputHelper?.WriteLine(text.ToString());

        // Every invariant, each of which reads the real databases or the crowd's real answers.
        Assert.All(report.Verdicts, verdict => Assert.True(verdict.Passed, $"{verdict.Invariant}: {verdict.Detail}\n{string.Join("\n", verdict.Offending.Take(10))}\n\n{text}"));
        Assert.Equal(9, report.Verdicts.Count);
        Assert.NotNull(report.Settled);

        // The sale happened as described: every fault struck, places were sold and paid for, the
        // hostile share was refused, and the crowd was told "sold out" rather than left hanging.
        Assert.Contains(report.Faults, line => line.Contains("kafka: broker up again", StringComparison.Ordinal));
        Assert.Contains(report.Faults, line => line.Contains("booking: booking", StringComparison.Ordinal) && line.Contains("started and healthy again", StringComparison.Ordinal));
        Assert.Contains(report.Faults, line => line.Contains("payments: payments", StringComparison.Ordinal) && line.Contains("started and healthy again", StringComparison.Ordinal));
        Assert.True(report.Outcomes.Confirmed > 0, text.ToString());
        Assert.True(report.Outcomes.SoldOutAnswers > 0, text.ToString());
        Assert.Contains(report.Stats.Endpoints(), endpoint => endpoint.Name == "hostile POST hold (scalper burst)" && endpoint.Statuses.ContainsKey(429));
        Assert.Contains(report.Stats.Endpoints(), endpoint => endpoint.Name == "hostile POST hold (forged token)" && endpoint.Statuses.ContainsKey(401));
        Assert.Equal(1_000, report.Outcomes.SignedIn);
    }
}
