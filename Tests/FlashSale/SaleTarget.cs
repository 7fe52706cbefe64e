using System.Net.Http.Json;

namespace Boxoffice.FlashSale;

/// <summary>
/// What the harness needs of a running Boxoffice: the public gateway, the two machine clients'
/// secrets, and, for the audit and the faults, the services' databases and control endpoints.
/// </summary>
public sealed record SaleTarget
{
    public required Uri Gateway { get; init; }

    /// <summary>The secret of <c>organizer-backoffice</c>, which creates the sale's venue and event.</summary>
    public required string BackofficeSecret { get; init; }

    /// <summary>The secret of <c>flash-sale-crowd</c>, which signs in the synthetic buyers.</summary>
    public required string CrowdSecret { get; init; }

    /// <summary>Connection strings by database name (bookingdb, paymentsdb, providerdb, catalogdb): the auditor reads them.</summary>
    public IReadOnlyDictionary<string, string> Databases { get; init; } = new Dictionary<string, string>();

    /// <summary>The payment provider stand-in and its API key, for its chaos settings.</summary>
    public Uri? Provider { get; init; }

    public string? ProviderApiKey { get; init; }

    /// <summary>The embedded Kafka broker's control endpoint (<c>/broker/down</c>, <c>/broker/up</c>).</summary>
    public Uri? BrokerControl { get; init; }

    /// <summary>Kills and restarts resources; only when the harness (or a test) runs the AppHost itself.</summary>
    public IResourceControl? Resources { get; init; }

    public async Task SetProviderChaosAsync(object chaos, CancellationToken cancellationToken)
    {
        if (Provider is null || ProviderApiKey is null)
        {
            throw new InvalidOperationException("Provider chaos needs the payment provider's URL and API key (--provider, --provider-key).");
        }

        using var http = new HttpClient { BaseAddress = Provider };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ProviderApiKey);
        using var response = await http.PutAsJsonAsync("/admin/chaos", chaos, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task SetBrokerAsync(bool up, CancellationToken cancellationToken)
    {
        if (BrokerControl is null)
        {
            throw new InvalidOperationException("Taking Kafka down needs the embedded broker's control endpoint (--broker-control).");
        }

        using var http = new HttpClient { BaseAddress = BrokerControl };
        using var response = await http.PostAsync(up ? "/broker/up" : "/broker/down", content: null, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}

/// <summary>Process-level faults: a replica killed and started again, a server restarted.</summary>
public interface IResourceControl
{
    /// <summary>Kills one running replica of <paramref name="resource"/> (SIGKILL, no shutdown) and starts it again; returns which.</summary>
    Task<string> KillAndRestartReplicaAsync(string resource, CancellationToken cancellationToken);

    /// <summary>Stops a server the way its operator would (PostgreSQL: fast shutdown) and starts it again.</summary>
    Task<string> RestartAsync(string resource, CancellationToken cancellationToken);
}
