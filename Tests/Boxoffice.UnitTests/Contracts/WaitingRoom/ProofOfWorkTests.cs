using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.UnitTests.Contracts.WaitingRoom;

/// <summary>The join puzzle: SHA-256 of <c>challenge:solution</c> starts with the asked number of zero bits.</summary>
public sealed class ProofOfWorkTests
{
    private const string Challenge = "eyJlIjoiMSJ9.c2lnbmF0dXJl";

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(12)]
    public void What_solve_finds_is_a_solution(int bits)
    {
        var solution = ProofOfWork.Solve(Challenge, bits);

        Assert.True(ProofOfWork.IsSolution(Challenge, solution, bits));
    }

    [Fact]
    public void A_solution_is_one_of_its_challenge_only()
    {
        var solution = ProofOfWork.Solve(Challenge, 16);

        // One other challenge in 65,536 would take it too; this one is fixed and does not.
        Assert.False(ProofOfWork.IsSolution(Challenge + "x", solution, 16));
    }

    [Fact]
    public void A_wrong_solution_is_refused()
    {
        // Counting up, Solve returns the first solution: every number below it is not one.
        var first = long.Parse(ProofOfWork.Solve(Challenge, 12), System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(first > 0);
        Assert.False(ProofOfWork.IsSolution(Challenge, (first - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), 12));
    }

    [Theory]
    [InlineData("")]
    [InlineData("123456789012345678901234567890123")]
    public void An_empty_or_over_long_solution_is_refused(string solution)
    {
        Assert.False(ProofOfWork.IsSolution(Challenge, solution, 1));
    }

    [Fact]
    public void More_bits_than_the_most_allowed_are_never_solved()
    {
        Assert.False(ProofOfWork.IsSolution(Challenge, "0", ProofOfWork.MaxBits + 1));
    }

    [Theory]
    [InlineData("")]
    [InlineData("anything")]
    public void With_no_bits_asked_anything_is_a_solution(string solution)
    {
        Assert.True(ProofOfWork.IsSolution(Challenge, solution, 0));
        Assert.Equal("0", ProofOfWork.Solve(Challenge, 0));
    }
}
