namespace Boxoffice.Gateway.Security;

/// <summary>
/// The gateway's own probes and scrape (<c>/health</c>, <c>/alive</c>, <c>/metrics</c>) on a port
/// of their own, <c>Management:Port</c>: the orchestrator and Prometheus reach it inside the
/// deployment, the public ingress only forwards the main port. On the main port those paths are
/// 404, and on the management port everything else is. Without the setting (the gateway run on
/// its own) they stay on the main port, as every other service has them.
/// </summary>
internal static class ManagementPort
{
    public const string Setting = "Management:Port";

    /// <summary>Listens on the management port too, beside the addresses the host was given (<c>ASPNETCORE_URLS</c> or <c>_HTTP_PORTS</c>).</summary>
    public static WebApplicationBuilder AddManagementPort(this WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue<int?>(Setting) is not { } port)
        {
            return builder;
        }

        var separators = new[] { ';', ',' };
        List<string> urls = [.. (builder.Configuration[WebHostDefaults.ServerUrlsKey] ?? "").Split(separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        if (urls.Count == 0)
        {
            urls.AddRange((builder.Configuration[WebHostDefaults.HttpPortsKey] ?? "").Split(separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(main => $"http://+:{main}"));
            urls.AddRange((builder.Configuration[WebHostDefaults.HttpsPortsKey] ?? "").Split(separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(main => $"https://+:{main}"));
        }

        if (urls.Count == 0)
        {
            throw new InvalidOperationException($"{Setting} is set, but the gateway was given no address of its own (ASPNETCORE_URLS or ASPNETCORE_HTTP_PORTS) to listen on beside it.");
        }

        // Where the main addresses are loopback only (a local run), so is the management port.
        var loopback = urls.All(url => url.Contains("://localhost", StringComparison.OrdinalIgnoreCase) || url.Contains("://127.0.0.1", StringComparison.Ordinal) || url.Contains("://[::1]", StringComparison.Ordinal));
        builder.WebHost.UseUrls([.. urls, $"http://{(loopback ? "localhost" : "+")}:{port}"]);
        return builder;
    }

    /// <summary>Keeps the probes and the scrape on the management port, and only them.</summary>
    public static WebApplication UseManagementPort(this WebApplication app)
    {
        if (app.Configuration.GetValue<int?>(Setting) is not { } port)
        {
            return app;
        }

        app.Use(async (context, next) =>
        {
            if ((context.Connection.LocalPort == port) == ServiceDefaultsExtensions.IsProbe(context.Request.Path))
            {
                await next(context);
                return;
            }

            await TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found").ExecuteAsync(context);
        });
        return app;
    }
}
