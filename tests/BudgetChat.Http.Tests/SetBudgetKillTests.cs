using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BudgetChat.Tests;
using Xunit.Abstractions;

namespace BudgetChat.Http.Tests;

/// <summary>
/// LiteLLM's <c>/set_budget</c> rewriting 1,000 users while the real service process is killed with SIGKILL at a random
/// moment of the request (issue 14 point 5): after the restart every user is as before the request or every user is
/// as the request said, never a mix.
/// </summary>
public sealed class SetBudgetKillTests(ITestOutputHelper output)
{
    private const string Project = "rewrite";
    private const string AdminKey = "rewrite-admin-key-0123456789abcd";
    private const int Users = 1_000;
    private const int Rounds = 6;
    private const int MaxRounds = 20;

    [Fact]
    public async Task KilledDuringARewriteOf1000Users_EveryUserIsOld_OrEveryUserIsNew()
    {
        using var data = new TempDirectory();
        int port = ServiceProcess.FreeLoopbackPort();
        int seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"port {port}, seed {seed}");
        using var service = new ServiceProcess(data.Path, port,
        [
            "--BudgetServer:ApiKeys:0:Project=" + Project,
            "--BudgetServer:ApiKeys:0:Key=" + AdminKey,
            "--BudgetServer:ApiKeys:0:Role=admin",
            "--BudgetServer:MaxRequestBodyBytes=1048576", // 1,000 users are about 100 KB
            "--BudgetServer:ResetService:Enabled=false",
        ]);
        await service.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        // Round 0 is stored whole, then stored again the way every round is sent: on a freshly started service, after
        // one read. How long that takes sets the range the kills are drawn from (the first request of the test process
        // also pays for the client's own start, so it is not the measure).
        using (HttpResponseMessage first = await http.PostAsync("set_budget", Body(0)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        service.Kill();
        await service.StartAsync();
        Assert.Equal(0, await ReadRoundAsync(http));
        var timer = Stopwatch.StartNew();
        using (HttpResponseMessage again = await http.PostAsync("set_budget", Body(0)))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        int duration = Math.Max(5, (int)timer.ElapsedMilliseconds);
        Assert.Equal(0, await ReadRoundAsync(http));

        // Kills land anywhere within one request's time; rounds go on (up to MaxRounds) until some request was cut off.
        int stored = 0;
        int interrupted = 0;
        int kept = 0;
        int round = 0;
        while (++round <= Rounds || (interrupted == 0 && round <= MaxRounds))
        {
            Task<HttpResponseMessage> send = http.PostAsync("set_budget", Body(round));
            await Task.Delay(random.Next(0, duration));
            service.Kill();
            bool acknowledged;
            try
            {
                using HttpResponseMessage answer = await send;
                acknowledged = answer.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                acknowledged = false;
            }

            await service.StartAsync();
            int now = await ReadRoundAsync(http);
            Assert.True(now == round || now == stored, $"Round {round}: the users are as round {now}, neither the last stored ({stored}) nor this one.");
            Assert.True(!acknowledged || now == round, $"Round {round} was answered 200 but the users are as round {now}.");
            interrupted += acknowledged ? 0 : 1;
            kept += !acknowledged && now == stored ? 1 : 0;
            stored = now;
        }

        output.WriteLine($"{round - 1} kills within {duration} ms of sending (a whole request took {duration} ms): {interrupted} requests cut off, {kept} of them left every user as before, {interrupted - kept} stored whole before the kill");
        Assert.True(interrupted > 0, $"Every request of {round - 1} was answered before its kill, so the test proves nothing about a kill half way.");
    }

    /// <summary>Every user of round <paramref name="round"/> has spent <c>round + 1</c> of a limit of <c>100 + round</c>.</summary>
    private static ByteArrayContent Body(int round)
    {
        var json = new StringBuilder(Users * 100);
        json.Append(CultureInfo.InvariantCulture, $$"""{ "project_name": "{{Project}}", "user_dict": {""");
        for (int user = 0; user < Users; user++)
        {
            json.Append(CultureInfo.InvariantCulture, $$"""{{(user == 0 ? "" : ",")}}"u{{user:D4}}": { "total_budget": {{100 + round}}, "current_cost": {{round + 1}}, "model_cost": { "gpt-4o": {{round + 1}} } }""");
        }

        json.Append("} }");
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json.ToString()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>The round every user is as, failing when the users are not all as one round.</summary>
    private static async Task<int> ReadRoundAsync(HttpClient http)
    {
        using var request = new StringContent($$"""{ "project_name": "{{Project}}" }""", Encoding.UTF8, "application/json");
        using HttpResponseMessage answer = await http.PostAsync("get_budget", request);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        JsonElement users = body.RootElement.GetProperty("data");
        var rounds = new Dictionary<(decimal Limit, decimal Spent), int>();
        foreach (JsonProperty user in users.EnumerateObject())
        {
            var pair = (user.Value.GetProperty("total_budget").GetDecimal(), user.Value.GetProperty("current_cost").GetDecimal());
            rounds[pair] = rounds.GetValueOrDefault(pair) + 1;
        }

        Assert.True(rounds.Count == 1, $"The users are a mix: {string.Join(", ", rounds.Select(r => $"{r.Value} users at limit {r.Key.Limit}, spent {r.Key.Spent}"))}.");
        Assert.Equal(Users, users.EnumerateObject().Count());
        (decimal limit, decimal spent) = rounds.Keys.Single();
        Assert.Equal(limit - 100m, spent - 1m);
        return (int)(limit - 100m);
    }
}
