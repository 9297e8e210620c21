// BudgetChat with Semantic Kernel: per-user budgets in a Kernel, the user taken from KernelArguments or from the
// execution settings, and a tool loop that stops cleanly when the budget runs out.
//
//   dotnet run --project samples/SemanticKernelChat
//
// With no OPENAI_API_KEY it runs on the offline demo model (no network, no key), here in a tool-calling edition
// that asks for the first tool offered and then answers; its token counts are real. With OPENAI_API_KEY set it
// calls OpenAI's gpt-4o-mini for real (a fraction of a cent).
using System.Globalization;
using BudgetChat;
using BudgetChat.Samples;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using SemanticKernelChat;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
Console.WriteLine(SampleChatClient.Description);

const string Project = "sk-sample";
const string ModelId = "gpt-4o-mini";

IChatClient model = SampleChatClient.UsesOpenAI
    ? SampleChatClient.Create(ModelId)
    : new OfflineToolCallingChatClient(SampleChatClient.Create(ModelId));
var store = new InMemoryBudgetStore();
var weather = new WeatherPlugin();

IKernelBuilder builder = Kernel.CreateBuilder();
builder.Services.AddSingleton<IBudgetStore>(store);
builder.AddBudgetChat(o =>
{
    o.ProjectName = Project;
    o.DefaultUserBudget = new BudgetDefinition(0.01m, BudgetPeriod.Daily); // every new user gets $0.01 a day
});
builder.AddBudgetedChatClient(model); // SK's tool loop → tool-loop stop → UseBudget() → the model
builder.Plugins.AddFromObject(weather, "weather");
Kernel kernel = builder.Build();

// 1. Per-user budgets; the user comes from KernelArguments ("budget_user") or from the execution settings.
Console.WriteLine();
Console.WriteLine("== Per-user budgets of $0.01 a day, created on first use ==");
(string User, string Question)[] chats = [("alice", "Hey, how's it going?"), ("alice", "What can you do for me?"), ("bob", "Tell me a fun fact.")];
foreach ((string user, string question) in chats)
{
    FunctionResult answer = await kernel.InvokePromptAsync(question, new KernelArguments(new OpenAIPromptExecutionSettings { MaxTokens = 100 }) { ["budget_user"] = user });
    Console.WriteLine($"   {user} (from KernelArguments) asked \"{question}\" and got: \"{answer}\"");
}

// OpenAIPromptExecutionSettings.User reaches the chat client as ChatOptions.AdditionalProperties["user"].
FunctionResult viaSettings = await kernel.InvokePromptAsync("Hello again!", new KernelArguments(new OpenAIPromptExecutionSettings { User = "bob", MaxTokens = 100 }));
Console.WriteLine($"   bob (from OpenAIPromptExecutionSettings.User) asked \"Hello again!\" and got: \"{viaSettings}\"");
foreach (string user in new[] { "alice", "bob" })
{
    BudgetState budget = (await store.GetBudgetAsync(Project, BudgetKeys.ForUser(user)))!;
    Console.WriteLine($"   {user} has spent ${budget.Spent:0.########} of ${budget.Limit} today");
}

// 2. A tool loop that runs out of budget. Each round trip of the loop is reserved and charged on its own.
Console.WriteLine();
Console.WriteLine("== A tool loop that runs out of budget ==");
Console.WriteLine("   carol has $0.0003. The model asks for the detailed forecast, whose answer is a few thousand tokens: the");
Console.WriteLine("   round trip that would read it cannot fit, so the loop stops there and the model is not called again.");
await store.SetBudgetAsync(Project, BudgetKeys.ForUser("carol"), new BudgetDefinition(0.0003m));
await AskForTheForecastAsync("carol");

Console.WriteLine();
Console.WriteLine("== The same question with the default budget of $0.01 ==");
await AskForTheForecastAsync("dave");

async Task AskForTheForecastAsync(string user)
{
    int toolCallsBefore = weather.Calls;
    var settings = new OpenAIPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(), MaxTokens = 200 };
    FunctionResult result = await kernel.InvokePromptAsync(
        "Use the weather tool to get today's detailed forecast for Paris, then tell me in one sentence when it will rain.",
        new KernelArguments(settings) { ["budget_user"] = user });

    ChatResponse response = result.GetValue<ChatResponse>()!;
    BudgetState budget = (await store.GetBudgetAsync(Project, BudgetKeys.ForUser(user)))!;
    Console.WriteLine($"   The weather tool ran {weather.Calls - toolCallsBefore} time(s).");
    if (response.FinishReason == BudgetChat.SemanticKernel.BudgetToolLoopStopChatClient.BudgetExceededFinishReason)
    {
        var refusal = (BudgetExceededException)response.RawRepresentation!;
        Console.WriteLine($"   Stopped by the budget: the next round trip needed up to ${refusal.Estimate:0.########}, {user} had ${refusal.Limit - refusal.Spent - refusal.Reserved:0.########} left.");
        Console.WriteLine($"   The caller got the conversation so far ({response.Messages.Count} messages, tool results included) and this final message:");
        Console.WriteLine($"   \"{response.Text}\"");
    }
    else
    {
        Console.WriteLine($"   Answer: \"{response.Text}\"");
    }

    Console.WriteLine($"   {user} has spent ${budget.Spent:0.########} of ${budget.Limit}; held by calls in flight: ${budget.Reserved:0.########}");
}
