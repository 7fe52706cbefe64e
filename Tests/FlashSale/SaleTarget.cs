using System.Net.Http.Json;
using System.Text.Json.Nodes;

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

    /// <summary>The payment provider stand-in and its admin key, for its chaos settings.</summary>
    public Uri? Provider { get; init; }

    public string? ProviderAdminKey { get; init; }

    /// <summary>The embedded Kafka broker's control endpoint (<c>/broker/down</c>, <c>/broker/up</c>).</summary>
    public Uri? BrokerControl { get; init; }

    /// <summary>Kills and restarts resources; only when the harness (or a test) runs the AppHost itself.</summary>
    public IResourceControl? Resources { get; init; }

    /// <summary>
    /// The provider's chaos in force (<c>GET /admin/chaos</c>), what a fault puts back when it is
    /// over: kept as the provider wrote it, so a setting this harness does not know survives too.
    /// </summary>
    public async Task<JsonObject> GetProviderChaosAsync(CancellationToken cancellationToken)
    {
        using var http = ProviderClient();
        return await http.GetFromJsonAsync<JsonObject>("/admin/chaos", cancellationToken)
            ?? throw new InvalidOperationException("The payment provider answered GET /admin/chaos with no body.");
    }

    /// <summary>
    /// Replaces the provider's chaos whole (<c>PUT /admin/chaos</c>; a field left out is 0): rates
    /// 0..1 (<c>errorRate</c>, <c>timeoutRate</c>, <c>spikeRate</c>, <c>declineRate</c>), delays in ms
    /// (<c>timeoutMs</c>, <c>spikeMs</c>, <c>latencyMs</c>). See Services/PaymentProvider/README.md.
    /// </summary>
    public async Task SetProviderChaosAsync(JsonObject chaos, CancellationToken cancellationToken)
    {
        using var http = ProviderClient();
        using var response = await http.PutAsJsonAsync("/admin/chaos", chaos, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private HttpClient ProviderClient()
    {
        if (Provider is null || ProviderAdminKey is null)
        {
            throw new InvalidOperationException("Provider chaos needs the payment provider's URL and admin key (--provider, --provider-admin-key).");
        }

        var http = new HttpClient { BaseAddress = Provider };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ProviderAdminKey);
        return http;
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

/// <summary>One running replica of a resource: its instance id and the process DCP started for it.</summary>
public sealed record Replica(string Id, int Pid);

/// <summary>Process-level faults: a replica killed and started again, a server stopped and started.</summary>
public interface IResourceControl
{
    /// <summary>Kills one running replica of <paramref name="resource"/> (SIGKILL, no shutdown) and starts it again; returns which.</summary>
    Task<string> KillAndRestartReplicaAsync(string resource, CancellationToken cancellationToken);

    /// <summary>
    /// Stops a server the way its operator would (PostgreSQL: fast shutdown), leaves it down for
    /// <paramref name="down"/>, starts it again and waits until it is healthy; returns which.
    /// </summary>
    Task<string> RestartAsync(string resource, TimeSpan down, CancellationToken cancellationToken);

    /// <summary>The running replicas of <paramref name="resource"/>, with their process ids.</summary>
    Task<IReadOnlyList<Replica>> RunningReplicasAsync(string resource, CancellationToken cancellationToken);

    /// <summary>Kills <paramref name="replica"/>'s whole process tree (SIGKILL), frozen or not.</summary>
    void Kill(Replica replica);

    /// <summary>Starts a killed replica again and waits until it runs and is healthy (a service's replica: on its own port, not only through the proxy).</summary>
    Task StartAgainAsync(Replica replica, CancellationToken cancellationToken);
}
