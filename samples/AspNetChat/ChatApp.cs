using System.Globalization;
using BudgetChat.AspNetCore;
using BudgetChat.Samples;
using Microsoft.Extensions.AI;

namespace BudgetChat.Samples.AspNetChat;

/// <summary>The chat API: <c>POST /chat</c> with <c>{ "message": "..." }</c>, a daily budget per user.</summary>
public static class ChatApp
{
    /// <summary>The header that names the user (try it with curl); a signed-in user's <c>sub</c> claim would win over it.</summary>
    public const string UserHeader = "X-User-Id";

    /// <summary>The default daily budget of each user, in US dollars (configuration key <c>Budget:UserDailyLimit</c>).</summary>
    public const decimal DefaultUserDailyLimit = 0.05m;

    /// <summary>The address the app listens on unless <c>--urls</c> or <c>ASPNETCORE_URLS</c> says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The most output tokens one answer may use.</summary>
    public const int MaxAnswerTokens = 300;

    /// <summary>The longest message accepted.</summary>
    public const int MaxMessageLength = 4_000;

    /// <summary>Builds the app.</summary>
    /// <param name="args">Command-line arguments: <c>--urls</c>, <c>--Budget:UserDailyLimit=0.01</c>, and the usual host settings.</param>
    /// <param name="model">The model, or <see langword="null"/> for OpenAI when <c>OPENAI_API_KEY</c> is set and the offline demo model otherwise.</param>
    /// <returns>The app, not yet started.</returns>
    public static WebApplication Create(string[] args, IChatClient? model = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        decimal userDailyLimit = builder.Configuration.GetValue("Budget:UserDailyLimit", DefaultUserDailyLimit);

        builder.Services.AddBudgetChat(options =>
        {
            options.ProjectName = "aspnet-chat";

            // Every user gets a daily budget the first time they call; it resets at 00:00 UTC.
            options.DefaultUserBudget = new BudgetDefinition(userDailyLimit, BudgetPeriod.Daily);
        });
        builder.Services.AddBudgetChatAspNetCore(options =>
        {
            // The user comes from a signed-in user's claims (none in this sample) or else from this header.
            options.UserHeaderName = UserHeader;

            // A request without a user is refused with 401 instead of being charged to nobody in particular.
            options.RequireUser = true;
        });
        builder.Services.AddChatClient(model ?? SampleChatClient.Create("gpt-4o-mini")).UseBudget();

        WebApplication app = builder.Build();
        app.UseExceptionHandler();

        app.MapPost("/chat", async (ChatRequest request, IChatClient chat, CancellationToken cancellationToken) =>
        {
            if (string.IsNullOrWhiteSpace(request.Message) || request.Message.Length > MaxMessageLength)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]>
                {
                    ["message"] = [string.Create(CultureInfo.InvariantCulture, $"The message must not be empty and at most {MaxMessageLength} characters long.")],
                });
            }

            // No user on the ChatOptions: BudgetChat charges the request's user (the X-User-Id header).
            ChatResponse response = await chat.GetResponseAsync(
                [new(ChatRole.System, "You are a helpful assistant. Answer briefly."), new(ChatRole.User, request.Message)],
                new ChatOptions { MaxOutputTokens = MaxAnswerTokens },
                cancellationToken);

            return Results.Ok(new ChatReply(response.Text, response.ModelId, response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount));
        })
        .WithBudgetHeaders();

        return app;
    }
}
