using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BudgetChat.Tests.DependencyInjection;

/// <summary>Every policy bound from appsettings.json, used by a real client, and validated at start naming the setting.</summary>
public sealed class PolicyConfigurationTests
{
    private const string Settings = """
        {
          "BudgetChat": {
            "ProjectName": "shop",
            "ModelGroups": { "premium": [ "gpt-4o", "o3", "claude-opus-*" ] },
            "UserBudget": {
              "Limits": [
                { "Amount": 50, "Period": "Monthly" },
                { "Amount": 5, "Period": "Daily", "Alignment": "Rolling" },
                { "Amount": 100000, "Unit": "Tokens", "Period": "Minutely" },
                { "Amount": 60, "Unit": "Requests", "Period": "Hourly" },
                { "Amount": 2, "Period": "Daily", "Models": [ "premium" ] }
              ],
              "AlertThresholds": [ 0.8, 1.0 ],
              "Enforcement": "Observe"
            },
            "GlobalBudget": { "Limits": [ { "Amount": 1000, "Period": "Monthly" }, { "Amount": 1000000, "Unit": "Tokens", "Period": "Minutely" } ] },
            "CheaperModels": { "gpt-4o": [ "gpt-4o-mini" ] },
            "DowngradeBelowRemainingShare": 0.1,
            "Enforcement": "Enforce"
          }
        }
        """;

    [Fact]
    public async Task EveryPolicy_BindsFromConfiguration_AndAFirstCallCreatesTheUsersBudgetWithIt()
    {
        await using ServiceProvider services = Build(Settings);
        IBudgetStore store = services.GetRequiredService<IBudgetStore>();
        BudgetingChatClientOptions options = services.GetRequiredService<IOptions<BudgetingChatClientOptions>>().Value;
        Assert.Equal(["gpt-4o-mini"], options.CheaperModels["GPT-4O"]);
        Assert.Equal(0.1m, options.DowngradeBelowRemainingShare);

        var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, o, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"))
            {
                ModelId = o?.ModelId,
                Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 },
            }),
        };
        using IChatClient client = new ChatClientBuilder(inner).UseBudget().Build(services);
        await client.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = 100 }.WithBudgetUser("alice"));

        BudgetState user = (await store.GetBudgetAsync("shop", "user:alice"))!;
        Assert.Equal(BudgetEnforcement.Observe, user.Definition.Enforcement);
        Assert.Equal(["monthly", "daily", "per-minute tokens", "hourly requests", "premium"], user.Windows.Select(w => w.Name));
        Assert.Equal(BudgetWindowAlignment.Rolling, user.Windows[1].Limit.Alignment);
        Assert.Equal(["gpt-4o", "o3", "claude-opus-*"], user.Windows[4].Limit.Models);
        Assert.Equal(15m, user.Windows[2].Spent);
        Assert.Equal(1m, user.Windows[3].Spent);
        Assert.True(user.Windows[4].Spent > 0m);
        Assert.Equal([0.8m, 1.0m], user.Definition.AlertThresholds);

        BudgetState global = (await store.GetBudgetAsync("shop", "global"))!;
        Assert.Equal(1000m, global.Limit);
        Assert.Equal(15m, global.Windows[1].Spent);
    }

    [Theory]
    [InlineData("""{ "Amount": 1.5, "Unit": "Tokens", "Period": "Minutely" }""", "BudgetingChatClientOptions.UserBudget:Limits:1:Amount")]
    [InlineData("""{ "Amount": 5, "Period": "Daily", "Models": [ "gpt-*-mini" ] }""", "BudgetingChatClientOptions.UserBudget:Limits:1:Models")]
    [InlineData("""{ "Amount": 50, "Period": "Monthly" }""", "BudgetingChatClientOptions.UserBudget:Limits: Two limits of the budget are called 'monthly'")]
    [InlineData("""{ "Amount": -1, "Period": "Daily" }""", "BudgetingChatClientOptions.UserBudget:Limits:1:Amount")]
    public async Task ABadPolicy_StopsTheStart_NamingTheSetting(string secondLimit, string expected)
    {
        string json = $$"""{ "BudgetChat": { "UserBudget": { "Limits": [ { "Amount": 50, "Period": "Monthly" }, {{secondLimit}} ] } } }""";
        await using ServiceProvider services = Build(json);

        OptionsValidationException ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BudgetingChatClientOptions>>().Value);

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFirstLimitThatIsNotDollarsOnEveryModel_IsRefused()
    {
        await using ServiceProvider services = Build("""{ "BudgetChat": { "GlobalBudget": { "Limits": [ { "Amount": 100, "Unit": "Requests", "Period": "Minutely" } ] } } }""");

        OptionsValidationException ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BudgetingChatClientOptions>>().Value);

        Assert.Contains("BudgetingChatClientOptions.GlobalBudget:Limits: A budget's first limit is its main limit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AUserBudgetFromConfiguration_AndOneInCode_AreRefusedTogether()
    {
        await using ServiceProvider services = Build(Settings, o => o.DefaultUserBudget = new BudgetDefinition(1m));

        OptionsValidationException ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BudgetingChatClientOptions>>().Value);

        Assert.Contains("UserBudget and DefaultUserBudget are both set", ex.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(string json, Action<BudgetingChatClientOptions>? configure = null)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        return new ServiceCollection().AddBudgetChat(configuration.GetSection("BudgetChat"), configure).BuildServiceProvider();
    }
}
