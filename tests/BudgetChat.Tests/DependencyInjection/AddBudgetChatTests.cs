using BudgetChat.Tests.Middleware;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BudgetChat.Tests.DependencyInjection;

public sealed class AddBudgetChatTests : BudgetingChatClientFixture
{
    [Fact]
    public void RegistersTheDefaults()
    {
        using ServiceProvider services = new ServiceCollection().AddBudgetChat().BuildServiceProvider();

        Assert.IsType<InMemoryBudgetStore>(services.GetRequiredService<IBudgetStore>());
        Assert.IsType<TiktokenTokenEstimator>(services.GetRequiredService<ITokenEstimator>());
        Assert.True(services.GetRequiredService<ModelPriceCatalog>().TryGetPrice("gpt-4o", out _));
        Assert.Same(TimeProvider.System, services.GetRequiredService<TimeProvider>());
        Assert.Equal("default", services.GetRequiredService<IOptions<BudgetingChatClientOptions>>().Value.ProjectName);
    }

    [Fact]
    public void KeepsServicesRegisteredBefore()
    {
        var store = new InMemoryBudgetStore();
        using ServiceProvider services = new ServiceCollection()
            .AddSingleton<IBudgetStore>(store)
            .AddSingleton(Prices)
            .AddBudgetChat()
            .BuildServiceProvider();

        Assert.Same(store, services.GetRequiredService<IBudgetStore>());
        Assert.Same(Prices, services.GetRequiredService<ModelPriceCatalog>());
    }

    [Fact]
    public async Task UseBudget_TakesStoreCatalogEstimatorAndOptionsFromTheContainer()
    {
        Answer("ok", Usage(4, 6));
        var collection = new ServiceCollection()
            .AddSingleton<IBudgetStore>(Store)
            .AddSingleton(Prices)
            .AddSingleton(Estimator)
            .AddBudgetChat(o => (o.ProjectName, o.MaxBudget) = ("di-app", 3m));
        collection.AddChatClient(Inner).UseBudget(o => o.DefaultUserBudget = new BudgetDefinition(1m));
        using ServiceProvider services = collection.BuildServiceProvider();
        IChatClient client = services.GetRequiredService<IChatClient>();

        await client.GetResponseAsync("hi", ForUser("carol"));

        Assert.NotNull(client.GetService<BudgetingChatClient>());
        Assert.Equal(Cost(4, 6), (await UserBudgetAsync("carol", "di-app")).Spent);
        Assert.Equal(3m, (await Store.GetBudgetAsync("di-app", BudgetKeys.Global))!.Limit);

        // The per-pipeline callback changed the client's copy, not the registered options.
        Assert.Null(services.GetRequiredService<IOptions<BudgetingChatClientOptions>>().Value.DefaultUserBudget);
    }

    [Fact]
    public void InvalidOptions_FailValidation_NamingTheOption()
    {
        using ServiceProvider services = new ServiceCollection()
            .AddBudgetChat(o => o.ReservationTimeout = TimeSpan.Zero)
            .BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BudgetingChatClientOptions>>().Value);

        Assert.Contains("ReservationTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseBudget_WithoutAContainerStore_GivesTheClientAnInMemoryStore()
    {
        using IChatClient client = new ChatClientBuilder(Inner).UseBudget().Build();

        Assert.IsType<InMemoryBudgetStore>(client.GetService<IBudgetStore>());
    }
}
