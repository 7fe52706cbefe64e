using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Boxoffice.Tests.Booking;
using Boxoffice.Tests.WaitingRoom;

namespace Boxoffice.Tests.Monitoring;

/// <summary>
/// One buyer's way from the queue to the door, in one trace the test starts (as a browser's
/// instrumentation would): join the waiting room, be admitted, hold, order, be paid for, get the
/// tickets, and have one checked in. It runs once per app; the monitoring tests read its trace,
/// the metrics it moved and the logs it left.
/// </summary>
internal sealed record BuyerJourney(ActivityTraceId TraceId, IReadOnlySet<ActivitySpanId> ClientSpanIds, Guid EventId, Guid HoldId, Guid OrderId)
{
    private static readonly ConditionalWeakTable<BoxofficeApp, Task<BuyerJourney>> Journeys = new();

    public static Task<BuyerJourney> OfAsync(BoxofficeApp boxoffice) => Journeys.GetValue(boxoffice, static app => RunAsync(app));

    private static async Task<BuyerJourney> RunAsync(BoxofficeApp boxoffice)
    {
        var sale = await QueuedSale.OpenAsync(boxoffice, new { }, places: 10);
        using var buyer = await QueueBuyer.NewAsync(boxoffice);
        using var staff = await Buyer.StaffAsync(boxoffice, $"event:{sale.EventId}");

        // The buyer's "click": every request below carries this trace as its parent (traceparent).
        using var click = new Activity("buyer journey");
        click.SetIdFormat(ActivityIdFormat.W3C);
        click.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        click.Start();
        boxoffice.Telemetry.Watch(click.TraceId);
        // The test's own spans (the journey, and HttpClient's span of each request when it makes
        // one): the parents the services' first spans name.
        var clientSpans = new System.Collections.Concurrent.ConcurrentDictionary<ActivitySpanId, byte>();
        clientSpans[click.SpanId] = 0;
        using var requests = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Parent.TraceId == click.TraceId ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStarted = activity =>
            {
                if (activity.TraceId == click.TraceId)
                {
                    clientSpans[activity.SpanId] = 0;
                }
            },
        };
        ActivitySource.AddActivityListener(requests);
        try
        {
            await buyer.JoinAsync(sale.EventId);
            await buyer.AdmittedAsync(sale.EventId);
            using var held = await buyer.HoldAsync(sale, buyer.Admission, quantity: 2);
            var holdText = await held.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(held.StatusCode == HttpStatusCode.Created, $"The hold: {(int)held.StatusCode} {holdText}");
            var holdId = JsonDocument.Parse(holdText).RootElement.GetProperty("holdId").GetGuid();
            using var ordered = await buyer.OrderAsync(holdId, buyer.Admission);
            var orderText = await ordered.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(ordered.StatusCode == HttpStatusCode.Created, $"The order: {(int)ordered.StatusCode} {orderText}");
            var orderId = JsonDocument.Parse(orderText).RootElement.GetProperty("orderId").GetGuid();
            var order = await buyer.Buyer.SettledOrderAsync(orderId);
            Assert.Equal("confirmed", order.GetProperty("status").GetString());
            var tickets = await buyer.Buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets");
            await staff.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/tickets/check-in", new { code = tickets[0].GetProperty("code").GetString() });
            return new BuyerJourney(click.TraceId, clientSpans.Keys.ToHashSet(), sale.EventId, holdId, orderId);
        }
        finally
        {
            click.Stop();
        }
    }
}
