// BudgetChat quickstart: LiteLLM's budget quickstart, in C#.
//
//   dotnet run --project samples/Quickstart
//
// With no OPENAI_API_KEY it runs on the offline demo model (no network, no key): canned answers whose tokens are
// counted like a real model's. With OPENAI_API_KEY set it calls OpenAI for real (and spends a fraction of a cent).
using System.Globalization;
using BudgetChat;
using BudgetChat.Samples;
using Microsoft.Extensions.AI;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
Console.WriteLine(SampleChatClient.Description);

ChatMessage[] question = [new(ChatRole.User, "Hey, how's it going?")];

// 1. A global budget of $0.001 (LiteLLM: litellm.max_budget = 0.001), two gpt-4 calls, in both enforcement modes.
foreach (BudgetEnforcementMode mode in new[] { BudgetEnforcementMode.Reservation, BudgetEnforcementMode.CheckThenCharge })
{
    Console.WriteLine();
    Console.WriteLine($"== Global budget of $0.001, mode {mode} ==");
    Console.WriteLine(mode == BudgetEnforcementMode.Reservation
        ? "   Reserves each call's worst case before calling the model; lowers MaxOutputTokens when only part of it fits."
        : "   LiteLLM's semantics: admits while spend is below the limit and charges after, so the last call can overshoot.");

    using BudgetingChatClient budgeted = (BudgetingChatClient)new ChatClientBuilder(SampleChatClient.Create("gpt-4"))
        .UseBudget(new InMemoryBudgetStore(), o =>
        {
            o.MaxBudget = 0.001m;
            o.Mode = mode;

            // $0.001 buys gpt-4 only a few output tokens; accept answers that short for the demo (default 16).
            o.MinimumOutputTokens = 4;
        })
        .Build();

    for (int call = 1; call <= 2; call++)
    {
        try
        {
            ChatResponse response = await budgeted.GetResponseAsync(question, new ChatOptions { ModelId = "gpt-4" });
            decimal spent = await budgeted.GetGlobalSpendAsync();
            string cut = response.FinishReason == ChatFinishReason.Length ? " (cut at the lowered MaxOutputTokens)" : string.Empty;
            Console.WriteLine($"   Call {call}: answered{cut}: \"{response.Text}\"");
            Console.WriteLine($"           {response.Usage?.InputTokenCount} input + {response.Usage?.OutputTokenCount} output tokens; global spend now ${spent:0.#######} of $0.001{(spent > 0.001m ? $" — {spent / 0.001m:P0} of the budget, overshot" : string.Empty)}");
        }
        catch (BudgetExceededException ex)
        {
            Console.WriteLine($"   Call {call}: refused before calling the model: {ex.Message}");
        }
    }
}

// 2. A $10 budget per user, created the first time a user calls (LiteLLM: budget_manager.create_budget(10, user)).
Console.WriteLine();
Console.WriteLine("== Per-user budget of $10, created for new users ==");
var store = new InMemoryBudgetStore();
using IChatClient perUser = new ChatClientBuilder(SampleChatClient.Create("gpt-4o-mini"))
    .UseBudget(store, o =>
    {
        o.ProjectName = "test_project";
        o.DefaultUserBudget = new BudgetDefinition(10m, BudgetPeriod.Monthly);
    })
    .Build();

ChatResponse answer = await perUser.GetResponseAsync(question, new ChatOptions { ModelId = "gpt-4o-mini" }.WithBudgetUser("1234"));
BudgetState user = (await store.GetBudgetAsync("test_project", BudgetKeys.ForUser("1234")))!;
Console.WriteLine($"   User 1234 asked and got: \"{answer.Text}\"");
Console.WriteLine($"   User 1234 has spent ${user.Spent:0.########} of ${user.Limit} this month (resets {user.WindowEnd:yyyy-MM-dd}); by model: {string.Join(", ", user.SpendByModel.Select(p => $"{p.Key} ${p.Value:0.########}"))}");
