using System.Text.Json;
using System.Text.Json.Serialization;
using Boxoffice.PaymentProvider.Admin;
using Boxoffice.PaymentProvider.Charges;
using Microsoft.Extensions.Options;

namespace Boxoffice.PaymentProvider.Extensions;

/// <summary>
/// The provider's JSON, described at build time (System.Text.Json's source generator): what its
/// endpoints read and write, so a native build serializes without reflection.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ChargeRequest))]
[JsonSerializable(typeof(Charge))]
[JsonSerializable(typeof(ChargePage))]
[JsonSerializable(typeof(RefundRequest))]
[JsonSerializable(typeof(Refund))]
[JsonSerializable(typeof(ChaosSettings))]
[JsonSerializable(typeof(ProviderStats))]
internal sealed partial class ProviderJson : JsonSerializerContext;

/// <summary>Checks <see cref="ProviderOptions"/>' attributes, generated at build time.</summary>
[OptionsValidator]
internal sealed partial class ProviderOptionsValidator : IValidateOptions<ProviderOptions>;
