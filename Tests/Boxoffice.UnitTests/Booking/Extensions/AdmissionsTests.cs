using Boxoffice.Booking;
using Boxoffice.Contracts.WaitingRoom;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Boxoffice.UnitTests.Booking.Extensions;

/// <summary>
/// The <c>Boxoffice-Admission</c> header of a hold or order, and the 403 that refuses it: the
/// same <c>reason</c> and <c>queue</c> the gateway answers with.
/// </summary>
public sealed class AdmissionsTests
{
    private static readonly Guid EventId = Guid.Parse("0199a3c4-0000-7000-8000-000000000001");
    private static readonly DateTimeOffset Now = new(2026, 12, 24, 18, 0, 0, TimeSpan.Zero);
    private readonly WaitingRoomTokens _tokens = new("a-signing-key-of-at-least-32-characters");

    [Fact]
    public void No_header_is_a_missing_admission()
    {
        Assert.Equal(AdmissionCheck.Missing, Admissions.Read(new DefaultHttpContext().Request, _tokens).Check(EventId, "buyer-1", Now));
    }

    [Fact]
    public void The_buyers_own_admission_in_the_header_is_valid()
    {
        var token = _tokens.Sign(new Admission(EventId, "buyer-1", Now.AddMinutes(15).ToUnixTimeSeconds()));

        Assert.Equal(AdmissionCheck.Valid, Admissions.Read(RequestWith(token), _tokens).Check(EventId, "buyer-1", Now));
    }

    [Fact]
    public void Two_values_of_the_header_are_invalid_even_when_each_is_valid()
    {
        var token = _tokens.Sign(new Admission(EventId, "buyer-1", Now.AddMinutes(15).ToUnixTimeSeconds()));

        Assert.Equal(AdmissionCheck.Invalid, Admissions.Read(RequestWith(new StringValues([token, token])), _tokens).Check(EventId, "buyer-1", Now));
    }

    [Fact]
    public void A_refusal_is_a_403_admission_required_naming_the_queue_and_the_reason()
    {
        var problem = Admissions.Refused(AdmissionCheck.OtherBuyer, EventId).ProblemDetails;

        Assert.Equal(403, problem.Status);
        Assert.Equal("https://boxoffice.dev/problems/admission-required", problem.Type);
        Assert.Equal($"/api/waiting-room/events/{EventId}/join", problem.Extensions["queue"]);
        Assert.Equal("other-buyer", problem.Extensions["reason"]);
    }

    private static HttpRequest RequestWith(StringValues value)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[WaitingRoomTokens.AdmissionHeader] = value;
        return context.Request;
    }
}
