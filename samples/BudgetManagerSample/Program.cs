// LiteLLM's BudgetManager examples, in C#:
//
//   dotnet run --project samples/BudgetManagerSample
//
// Budgets are kept in ./budgetchat.db (SQLite). A LiteLLM user_cost.json in this folder is imported the first time the
// project is used, and SaveDataAsync writes the budgets back to it in LiteLLM's shape.
// Runs on the offline demo model unless OPENAI_API_KEY is set.
using System.Globalization;
using BudgetChat.LiteLlm;
using BudgetChat.Samples;
using BudgetChat.Sqlite;
using Microsoft.Extensions.AI;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
IChatClient model = SampleChatClient.Create("gpt-3.5-turbo");
Console.WriteLine(SampleChatClient.Description);

using var budgetManager = new BudgetManager("test_project");
Console.WriteLine($"Budgets database: {((SqliteBudgetStore)budgetManager.Store).DatabasePath}");

// The per-user example: create a $10 budget for a new user, call the model while the user is within it.
string user = "1234";
if (!await budgetManager.IsValidUserAsync(user))
{
    await budgetManager.CreateBudgetAsync(user, totalBudget: 10m);
}

if (await budgetManager.GetCurrentCostAsync(user) <= await budgetManager.GetTotalBudgetAsync(user))
{
    ChatResponse response = await model.GetResponseAsync("Hey, how's it going?", new ChatOptions { ModelId = "gpt-3.5-turbo" });
    await budgetManager.UpdateCostAsync(user, response);
    Console.WriteLine($"User {user}: \"{response.Text}\"");
}
else
{
    Console.WriteLine("Sorry - no budget!");
}

Console.WriteLine($"User {user} has spent ${await budgetManager.GetCurrentCostAsync(user):0.########} of ${await budgetManager.GetTotalBudgetAsync(user)}.");

// The text input/output example: a daily budget, charged from texts whose tokens are counted.
user = "12345";
await budgetManager.CreateBudgetAsync(user, totalBudget: 10m, duration: "daily");
await budgetManager.UpdateCostAsync(user, model: "gpt-3.5-turbo", inputText: "hello world", outputText: "it's a sunny day in san francisco");
Console.WriteLine($"User {user} has spent ${await budgetManager.GetCurrentCostAsync(user):0.########} today.");

await budgetManager.SaveDataAsync();
Console.WriteLine($"Users: {string.Join(", ", await budgetManager.GetUsersAsync())}");
