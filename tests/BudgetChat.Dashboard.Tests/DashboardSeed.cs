using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Dashboard.Tests;

/// <summary>
/// Two weeks of a small team's calls through the real middleware (<see cref="BudgetingChatClient"/>) over the store, with
/// only the model faked (<see cref="SeedChatClient"/>): the middleware reserves, settles with each call's record, lowers
/// output to fit, refuses, releases failed calls and records all of it in the store's spend ledger.
/// </summary>
/// <remarks>Deterministic for a given end time (a fixed random seed).</remarks>
internal static class DashboardSeed
{
    public const string Project = "acme";

    /// <summary>Models of the built-in price table, and how often each is asked for.</summary>
    private static readonly (string Model, int Weight)[] Models =
        [("gpt-4o", 5), ("gpt-4o-mini", 8), ("claude-sonnet-4-5", 3), ("o3-mini", 2), ("gemini-2.0-flash", 2)];

    /// <summary>The users, how often each calls (weight), the longest prompt each sends, and their team's key.</summary>
    private static readonly (string User, int Weight, int Prompt, string? Team)[] Users =
    [
        ("alice", 9, 24_000, "team:research"), ("bob", 7, 12_000, null), ("carol", 6, 60_000, "team:research"),
        ("dave", 4, 8_000, "team:support"), ("erin", 3, 8_000, "team:support"), ("frank", 3, 30_000, null), ("grace", 2, 16_000, null),
    ];

    /// <summary>Creates the budgets, then plays <paramref name="days"/> days of calls ending at <paramref name="end"/>.</summary>
    public static async Task RunAsync(InMemoryBudgetStore store, FakeTimeProvider time, DateTimeOffset end, int days = 14)
    {
        // Limits that bind now and then: refusals, lowered outputs, an observed budget, a week that runs out.
        await store.SetBudgetAsync(Project, "global", new BudgetDefinition([BudgetLimit.Dollars(60m, BudgetPeriod.Monthly), BudgetLimit.Tokens(1_500_000, BudgetPeriod.Daily)]));
        await store.SetBudgetAsync(Project, "team:research", new BudgetDefinition(30m, BudgetPeriod.Monthly, alertThresholds: [0.8m]));
        await store.SetBudgetAsync(Project, "team:support", new BudgetDefinition(4m, BudgetPeriod.Weekly));
        await store.SetBudgetAsync(Project, "user:alice", new BudgetDefinition([BudgetLimit.Dollars(1.2m, BudgetPeriod.Daily), BudgetLimit.Requests(6, BudgetPeriod.Hourly)]));
        await store.SetBudgetAsync(Project, "user:bob", new BudgetDefinition(0.4m, BudgetPeriod.Daily));
        await store.SetBudgetAsync(Project, "user:carol", new BudgetDefinition(0.6m, BudgetPeriod.Daily));
        await store.SetBudgetAsync(Project, "user:dave", new BudgetDefinition(15m, BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling));
        await store.SetBudgetAsync(Project, "user:erin", new BudgetDefinition(0.8m, BudgetPeriod.Weekly));
        await store.SetBudgetAsync(Project, "user:frank", new BudgetDefinition(0.1m, BudgetPeriod.Daily).WithEnforcement(BudgetEnforcement.Observe));
        await store.SetBudgetAsync(Project, "user:grace", new BudgetDefinition([BudgetLimit.Dollars(8m, BudgetPeriod.Monthly), BudgetLimit.Dollars(0.05m, BudgetPeriod.Daily).ForModels(["claude-*"], "daily claude")]));

        var model = new SeedChatClient(time);
        using var client = new BudgetingChatClient(
            model,
            store,
            new BudgetingChatClientOptions
            {
                ProjectName = Project,
                AdditionalKeysResolver = context => Users.First(u => u.User == context.UserId).Team is { } team ? [team, "global"] : ["global"],
            },
            timeProvider: time);

        var random = new Random(17);
        for (int day = days - 1; day >= 0; day--)
        {
            DateTimeOffset morning = new DateTimeOffset(end.UtcDateTime.Date, TimeSpan.Zero).AddDays(-day).AddHours(7);
            int calls = 40 + random.Next(40);
            for (int i = 0; i < calls; i++)
            {
                // Spread over the working day; on the last day only up to the end.
                DateTimeOffset at = morning.AddMinutes((i * 660.0 / calls) + random.Next(6));
                if (at >= end || at <= time.GetUtcNow())
                {
                    continue;
                }

                time.SetUtcNow(at);
                await CallAsync(client, model, random);
            }
        }

        if (time.GetUtcNow() < end)
        {
            time.SetUtcNow(end);
        }
    }

    private static async Task CallAsync(BudgetingChatClient client, SeedChatClient model, Random random)
    {
        (string user, _, int prompt, _) = Pick(Users, random, u => u.Weight);
        (string modelId, _) = Pick(Models, random, m => m.Weight);
        int input = 300 + random.Next(prompt);
        int output = 60 + random.Next(1_800);
        int fate = random.Next(100);
        model.Next = (
            fate < 5 ? null : new UsageDetails
            {
                InputTokenCount = input,
                OutputTokenCount = output,
                TotalTokenCount = input + output,
                CachedInputTokenCount = random.Next(3) == 0 ? input / 2 : null,
                ReasoningTokenCount = modelId == "o3-mini" ? output / 2 : null,
            },
            TimeSpan.FromMilliseconds(400 + random.Next(8_000)),
            fate >= 96);

        // A prompt of about the size the model is to report (a sentence of some five characters a token).
        ChatOptions options = new ChatOptions { ModelId = modelId, MaxOutputTokens = 2_048 }.WithBudgetUser(user);
        using var activity = new Activity("chat").SetIdFormat(ActivityIdFormat.W3C).Start();
        try
        {
            await client.GetResponseAsync([new ChatMessage(ChatRole.User, Prompt(input))], options);
        }
        catch (BudgetExceededException)
        {
            // Refused: the middleware recorded it.
        }
        catch (HttpRequestException)
        {
            // The provider failed: the middleware released the hold and recorded it.
        }
    }

    private static string Prompt(int tokens)
    {
        const string sentence = "Summarise the quarterly figures for the team. ";
        return string.Concat(Enumerable.Repeat(sentence, Math.Max(1, tokens * 5 / sentence.Length)));
    }

    private static T Pick<T>(T[] items, Random random, Func<T, int> weight)
    {
        int n = random.Next(items.Sum(weight));
        foreach (T item in items)
        {
            n -= weight(item);
            if (n < 0)
            {
                return item;
            }
        }

        return items[^1];
    }
}
