using QRCoder;

namespace Boxoffice.Storefront.Api;

/// <summary>A ticket's signed code as a QR image (PNG, as a data: URL) that a door scanner reads.</summary>
internal sealed class TicketCodes
{
    public string QrDataUrl(string code)
    {
        using var generator = new QRCodeGenerator();
        // Medium error correction: the code stays readable from a scratched phone screen.
        using var data = generator.CreateQrCode(code, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(4);
        return "data:image/png;base64," + Convert.ToBase64String(png);
    }
}
