// BudgetChat in an ASP.NET Core minimal API: a chat endpoint with a daily budget per user.
//
//   dotnet run --project samples/AspNetChat
//
// With no OPENAI_API_KEY it answers with the offline demo model (no network, no key; tokens counted like a real
// model's); with OPENAI_API_KEY set it calls OpenAI. The user comes from the X-User-Id header. To run out of budget
// quickly: dotnet run --project samples/AspNetChat -- --Budget:UserDailyLimit=0.0002
using BudgetChat.Samples;
using BudgetChat.Samples.AspNetChat;

WebApplication app = ChatApp.Create(args);

app.Lifetime.ApplicationStarted.Register(() =>
{
    string url = app.Urls.FirstOrDefault() ?? ChatApp.DefaultUrl;
    Console.WriteLine();
    Console.WriteLine($"AspNetChat is listening on {url}. {SampleChatClient.Description}");
    Console.WriteLine($"Each user has a daily budget (default ${ChatApp.DefaultUserDailyLimit}; set --Budget:UserDailyLimit). Try it:");
    Console.WriteLine();
    Console.WriteLine($"  curl -i {url}/chat -H 'Content-Type: application/json' -H '{ChatApp.UserHeader}: alice' -d '{{\"message\":\"Hello!\"}}'");
    Console.WriteLine();
    Console.WriteLine("The X-Budget-Limit, X-Budget-Remaining and X-Budget-Reset headers show alice's budget; once it is spent the");
    Console.WriteLine("answer is 429 with Retry-After. Another user (X-User-Id: bob) has a budget of their own; no header gives 401.");
    Console.WriteLine();
});

app.Run();
