using System.ComponentModel.DataAnnotations;
using Boxoffice.Contracts.Catalog;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.Catalog.Events;

/// <summary>
/// An event's waiting room (docs/adr/0010-waiting-room.md), as an organizer asks for it: inside an
/// event's body (<c>waitingRoom</c>, absent or null for none) or as the body of
/// <c>PUT .../waiting-room</c>. What is left out takes the defaults of <see cref="WaitingRoomRules"/>.
/// </summary>
/// <remarks>Public: .NET's validation generator skips attributes on non-public types.</remarks>
public sealed record WaitingRoomRequest(
    DateTimeOffset? PrequeueOpensAt,
    [Range(1, WaitingRoomRules.MaxAdmitPerSecond)] int? AdmitPerSecond,
    [Range(1, WaitingRoomRules.MaxAdmittedAtOnce)] int? MaxAdmitted,
    [Range(1, WaitingRoomRules.MaxAdmissionMinutes)] int? AdmissionMinutes,
    [Range(0, ProofOfWork.MaxBits)] int? ProofOfWorkBits);

internal static class WaitingRoomRules
{
    public const int MaxAdmitPerSecond = 10_000;
    public const int MaxAdmittedAtOnce = 1_000_000;
    public const int MaxAdmissionMinutes = 120;

    public const int DefaultAdmitPerSecond = 50;
    public const int DefaultAdmissionMinutes = 15;
    public static readonly TimeSpan DefaultPrequeue = TimeSpan.FromHours(1);

    /// <summary>The request with its time cut to whole microseconds, as it will be stored and compared (see <see cref="EventRules.Normalized"/>).</summary>
    public static WaitingRoomRequest Normalized(this WaitingRoomRequest request) =>
        request with { PrequeueOpensAt = EventRules.Microseconds(request.PrequeueOpensAt) };

    /// <summary>
    /// The rules that need the sale's opening, with each field under <paramref name="prefix"/>
    /// (<c>waitingRoom.</c> in an event's body, nothing in the waiting room's own); field-level
    /// ones are on the request type.
    /// </summary>
    public static Dictionary<string, string[]> Check(WaitingRoomRequest request, DateTimeOffset saleOpensAt, string prefix = "")
    {
        var errors = new Dictionary<string, string[]>();
        if (request.PrequeueOpensAt > saleOpensAt)
        {
            errors[prefix + "prequeueOpensAt"] = ["The pre-queue opens before the sale opens, or when it does."];
        }

        return errors;
    }

    /// <summary>
    /// The settings the request comes to for a sale that opens at <paramref name="saleOpensAt"/>:
    /// the pre-queue opens an hour before the sale, admissions last 15 minutes, no proof of work,
    /// and with neither a rate nor a cap, 50 buyers are admitted a second.
    /// </summary>
    public static WaitingRoomSettings Resolve(WaitingRoomRequest request, DateTimeOffset saleOpensAt) => new(
        request.PrequeueOpensAt ?? saleOpensAt - DefaultPrequeue,
        request.AdmitPerSecond ?? (request.MaxAdmitted is null ? DefaultAdmitPerSecond : null),
        request.MaxAdmitted,
        request.AdmissionMinutes ?? DefaultAdmissionMinutes,
        request.ProofOfWorkBits ?? 0);
}
