using Boxoffice.Gateway.RateLimiting;

namespace Boxoffice.UnitTests.Gateway;

/// <summary>
/// How many tokens a gateway replica takes from a caller's shared Redis bucket at once
/// (<c>RedisTokenBucketLimiter.BatchSize</c>). The bucket's own refill and take run atomically in
/// Redis (a Lua script) and are proven by the whole-app rate-limit tests.
/// </summary>
public sealed class TokenBatchTests
{
    [Fact]
    public void An_idle_caller_takes_one_token_at_a_time() =>
        Assert.Equal(1, RedisTokenBucketLimiter.BatchSize(requestsLastSecond: 0, waiting: 0, tokenLimit: 100));

    [Fact]
    public void Requests_waiting_behind_this_one_are_taken_for_together() =>
        Assert.Equal(4, RedisTokenBucketLimiter.BatchSize(requestsLastSecond: 0, waiting: 3, tokenLimit: 100));

    [Fact]
    public void A_busy_caller_takes_about_fifty_milliseconds_of_its_rate() =>
        Assert.Equal(10, RedisTokenBucketLimiter.BatchSize(requestsLastSecond: 200, waiting: 0, tokenLimit: 100));

    [Fact]
    public void A_batch_is_never_more_than_a_quarter_of_the_bucket() =>
        Assert.Equal(25, RedisTokenBucketLimiter.BatchSize(requestsLastSecond: 2_000, waiting: 500, tokenLimit: 100));

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_bucket_of_fewer_than_four_tokens_is_taken_from_one_at_a_time(int tokenLimit) =>
        Assert.Equal(1, RedisTokenBucketLimiter.BatchSize(requestsLastSecond: 2_000, waiting: 10, tokenLimit));
}
