using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Boxoffice.UnitTests.ServiceDefaults;

/// <summary>
/// Text the database refuses to store is the client's mistake in every service: 400
/// <c>unstorable-text</c> problem+json, whether the refusal comes from Npgsql directly or wrapped
/// by Entity Framework; any other database failure is left to the handlers after it.
/// </summary>
public sealed class UnstorableTextExceptionHandlerTests
{
    [Theory]
    [InlineData(PostgresErrorCodes.CharacterNotInRepertoire)]
    [InlineData(PostgresErrorCodes.UntranslatableCharacter)]
    public async Task A_refusal_of_the_text_itself_is_answered_400_unstorable_text(string sqlState)
    {
        var (handled, context) = await HandleAsync(Refusal(sqlState));

        Assert.True(handled);
        Assert.Equal(StatusCodes.Status400BadRequest, context.Response.StatusCode);
        Assert.StartsWith("application/problem+json", context.Response.ContentType, StringComparison.Ordinal);
        using var problem = JsonDocument.Parse(((MemoryStream)context.Response.Body).ToArray());
        Assert.Equal(ProblemTypes.UnstorableText.Uri, problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task The_refusal_wrapped_by_entity_framework_is_answered_the_same()
    {
        var (handled, context) = await HandleAsync(new DbUpdateException("An error occurred while saving the entity changes.", Refusal(PostgresErrorCodes.CharacterNotInRepertoire)));

        Assert.True(handled);
        Assert.Equal(StatusCodes.Status400BadRequest, context.Response.StatusCode);
    }

    [Theory]
    [InlineData(PostgresErrorCodes.UniqueViolation)]
    [InlineData(PostgresErrorCodes.DivisionByZero)]
    [InlineData(PostgresErrorCodes.DeadlockDetected)]
    public async Task Any_other_database_failure_is_not_this_handlers(string sqlState)
    {
        var (handled, context) = await HandleAsync(Refusal(sqlState));

        Assert.False(handled);
        Assert.Equal(0, context.Response.Body.Length);
    }

    [Fact]
    public void Every_service_answers_with_it()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Configuration = new Microsoft.Extensions.Configuration.ConfigurationManager() });
        builder.AddServiceDefaults();

        Assert.Contains(builder.Services, service => service.ServiceType == typeof(Microsoft.AspNetCore.Diagnostics.IExceptionHandler)
            && service.ImplementationType == typeof(UnstorableTextExceptionHandler));
    }

    private static PostgresException Refusal(string sqlState) => new("refused", "ERROR", "ERROR", sqlState);

    private static async Task<(bool Handled, HttpContext Context)> HandleAsync(Exception exception)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        var handler = new UnstorableTextExceptionHandler(services.GetRequiredService<IProblemDetailsService>());
        var handled = await handler.TryHandleAsync(context, exception, CancellationToken.None);
        return (handled, context);
    }
}
