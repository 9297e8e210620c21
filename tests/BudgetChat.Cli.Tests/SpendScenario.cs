namespace BudgetChat.Cli.Tests;

/// <summary>
/// The same spend in any store: three budgets, three charged calls (two of alice's, one of bob's, each also charged to
/// <c>global</c>) and one refused call of bob's, which the spend and verify tests read back through the tool.
/// </summary>
internal static class SpendScenario
{
    public const decimal AliceSpent = 3.25m;
    public const decimal BobSpent = 0.5m;

    public static async Task SeedAsync(IBudgetStore store, string project)
    {
        // Fails here, naming the store, until the store keeps a spend ledger.
        IBudgetSpendLog log = Assert.IsAssignableFrom<IBudgetSpendLog>(store);
        await store.SetBudgetAsync(project, "global", new BudgetDefinition(100m));
        await store.SetBudgetAsync(project, "user:alice", new BudgetDefinition(10m, BudgetPeriod.Monthly));
        await store.SetBudgetAsync(project, "user:bob", new BudgetDefinition(0.5m, BudgetPeriod.Monthly));
        await ChargeAsync(store, project, "alice", "c1", 1.25m, "gpt-4o", 1_000);
        await ChargeAsync(store, project, "bob", "c2", 0.5m, "gpt-4o-mini", 4_000);
        await ChargeAsync(store, project, "alice", "c3", 2m, "claude-sonnet-4", 2_500);
        await log.AppendSpendAsync(project, new BudgetSpendRecord
        {
            Id = "c4",
            Keys = ["user:bob", "global"],
            User = "bob",
            Model = "gpt-4o",
            Outcome = BudgetSpendOutcome.Refused,
            RefusedKey = "user:bob",
            RefusedWindow = "monthly",
        });
    }

    private static async Task ChargeAsync(IBudgetStore store, string project, string user, string id, decimal cost, string model, long tokens)
    {
        var usage = new BudgetUsage(cost, tokens, model)
        {
            Record = new BudgetSpendRecord { User = user, InputTokens = tokens * 4 / 5, OutputTokens = tokens / 5 },
        };
        BudgetCompletion completion = await store.ChargeAsync(project, [$"user:{user}", "global"], usage, id);
        Assert.Equal(BudgetCompletionStatus.Completed, completion.Status);
    }
}
