using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Storefront.Api;

namespace Boxoffice.Storefront.Actions;

/// <summary>
/// Solves a waiting room's join puzzle for a buyer of the storefront. The work is the storefront's
/// CPU, so it is bounded: one puzzle at a time per replica (others wait their turn, or give up with
/// the request), and none harder than <see cref="MaxBits"/> (about a million hashes, a fraction of
/// a second); a harder one is refused with a page that says so.
/// </summary>
internal sealed class ProofOfWorkSolver
{
    public const int MaxBits = 20;

    public static ApiProblem TooHard { get; } = new(StatusCodes.Status503ServiceUnavailable, null,
        "This sale's waiting room is not open to the storefront.",
        "The organizer asked every buyer joining it for a proof of work too costly for the storefront to do on your behalf. Join from an app that solves it.");

    private readonly SemaphoreSlim _one = new(1, 1);

    public async Task<string?> SolveAsync(string challenge, int bits, CancellationToken cancellationToken)
    {
        if (bits > MaxBits)
        {
            return null;
        }

        await _one.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => ProofOfWork.Solve(challenge, bits), cancellationToken);
        }
        finally
        {
            _one.Release();
        }
    }
}
