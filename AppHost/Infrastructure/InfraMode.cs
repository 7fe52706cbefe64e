using System.Diagnostics;

namespace Boxoffice.AppHost.Infrastructure;

/// <summary>Where Redis, PostgreSQL and Kafka come from. See docs/adr/0001-infrastructure-modes.md.</summary>
internal enum InfraMode
{
    /// <summary>Containers through Docker or Podman (Aspire's Redis and PostgreSQL, a Kafka container).</summary>
    Containers,

    /// <summary>Local processes the AppHost starts itself: Garnet, the machine's PostgreSQL, librdkafka's mock broker.</summary>
    Embedded,

    /// <summary>Managed services whose connection strings are given as parameters.</summary>
    External,
}

internal static class InfraModeSelector
{
    public const string ConfigurationKey = "Infra:Mode";

    /// <summary>
    /// The mode from <c>--infra</c> or <c>Infra:Mode</c>; otherwise containers when a container
    /// runtime answers, embedded when none does. Publish mode is external (managed services, see
    /// docs/adr/0016-deployment.md): containers without volumes lose every database and topic at a
    /// restart. <c>--infra containers</c> still prints that shape, to read, never to deploy; azd
    /// deploys no executables, so embedded is never published.
    /// </summary>
    public static InfraMode Select(IDistributedApplicationBuilder builder)
    {
        // "--infra embedded" on the command line arrives as the configuration key "infra".
        var requested = builder.Configuration["infra"] ?? builder.Configuration[ConfigurationKey];
        if (!string.IsNullOrWhiteSpace(requested))
        {
            // Names only: Enum.TryParse would also take numbers and comma lists.
            var name = Enum.GetNames<InfraMode>().FirstOrDefault(mode => string.Equals(mode, requested.Trim(), StringComparison.OrdinalIgnoreCase))
                ?? throw new InfraUnavailableException(
                    $"Unknown infrastructure mode '{requested}': use --infra containers, --infra embedded or --infra external.");
            var mode = Enum.Parse<InfraMode>(name);

            return builder.ExecutionContext.IsPublishMode && mode == InfraMode.Embedded ? InfraMode.External : mode;
        }

        if (builder.ExecutionContext.IsPublishMode)
        {
            return InfraMode.External;
        }

        return ContainerRuntimeAnswers() ? InfraMode.Containers : InfraMode.Embedded;
    }

    /// <summary>True when <c>docker info</c> or <c>podman info</c> reaches an engine within a few seconds.</summary>
    private static bool ContainerRuntimeAnswers()
    {
        var preferred = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME");
        string[] runtimes = string.IsNullOrEmpty(preferred) ? ["docker", "podman"] : [preferred];
        return runtimes.Any(runtime => Answers(runtime, TimeSpan.FromSeconds(5)));
    }

    private static bool Answers(string runtime, TimeSpan timeout)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{.ID}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null)
            {
                return false;
            }

            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}

/// <summary>A mode cannot start here; the message says what to install or which flag to use.</summary>
internal sealed class InfraUnavailableException(string message) : Exception(message);
