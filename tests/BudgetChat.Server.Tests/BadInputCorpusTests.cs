using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using BudgetChat.Sqlite;
using CsCheck;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace BudgetChat.Server.Tests;

/// <summary>
/// Issue 14's bad-input corpus: requests generated with CsCheck (<see cref="BadInputCorpus"/>), each one the service
/// must refuse, sent to every route of the real service (Kestrel at 127.0.0.1, its default SQLite store in a temp
/// folder, with budgets, an active, a settled and a released reservation and a charge). Proves that every one is
/// answered 4xx (never 2xx, never 5xx) and that the database, read through SQLite and dumped table by table, is
/// byte-identical before and after each request.
/// </summary>
/// <remarks>
/// A failure names the request (method, path, body, caller), the status and answer, and CsCheck's seed: run again
/// with <c>CsCheck_Seed=&lt;seed&gt;</c> to reproduce it. The service's clock is fixed, so nothing comes due and the
/// only way the database can change is a request the service should have refused.
/// </remarks>
public sealed class BadInputCorpusTests(ITestOutputHelper output)
{
    private const int CasesPerRoute = 60;
    private const int CasesPerRouteInOpenMode = 20;

    [Fact]
    public async Task EveryBadRequest_OnEveryRoute_Is4xx_AndLeavesTheDatabaseByteIdentical()
    {
        var options = new BudgetServerHostOptions();
        AddKey(options, "acme", BadInputCorpus.AdminKey, "admin");
        AddKey(options, "acme", BadInputCorpus.EnforceKey, "enforce");
        AddKey(options, "globex", BadInputCorpus.OtherProjectKey, "admin");

        Tally tally = await RunCorpusAsync(options, open: false, CasesPerRoute);

        Assert.True(tally.Total >= 500, $"Only {tally.Total} requests were sent.");
        Assert.All(BadInputCorpus.Routes, route => Assert.True(tally.PerRoute.GetValueOrDefault(route) >= CasesPerRoute, $"{route}: {tally.PerRoute.GetValueOrDefault(route)} cases."));
        Assert.Equal(0, tally.ServerErrors);
        Assert.True(tally.PerCaller.GetValueOrDefault(CorpusCaller.Enforce) > 0 && tally.PerCaller.GetValueOrDefault(CorpusCaller.None) > 0, "The enforce key and no key were both tried.");
    }

    [Fact]
    public async Task InOpenMode_EveryBadRequest_Is4xx_AndLeavesTheDatabaseByteIdentical()
    {
        // Without keys nothing is refused for the caller, so the project names in routes reach the handlers' own checks.
        Tally tally = await RunCorpusAsync(new BudgetServerHostOptions(), open: true, CasesPerRouteInOpenMode);

        Assert.All(BadInputCorpus.Routes, route => Assert.True(tally.PerRoute.GetValueOrDefault(route) >= CasesPerRouteInOpenMode, route));
        Assert.Equal(0, tally.ServerErrors);
    }

    private async Task<Tally> RunCorpusAsync(BudgetServerHostOptions options, bool open, int casesPerRoute)
    {
        using var data = new BudgetChat.Tests.TempDirectory();
        options.TimeProvider = new FakeTimeProvider(Api.Epoch);
        options.Configuration["BudgetServer:DataDirectory"] = data.Path;
        options.Configuration["BudgetServer:ResetService:Enabled"] = "false";
        options.Configuration["BudgetServer:Limits:PermitsPerSecond"] = "0";
        await using BudgetServerHost host = await BudgetServerHost.StartAsync(options);
        await SeedAsync(host.Store);
        string database = ((SqliteBudgetStore)host.Store).DatabasePath;
        Assert.Equal(Path.Combine(data.Path, SqliteBudgetStoreOptions.DefaultFileName), database);

        string initial = Dump(database);
        Assert.Contains("r-active", initial, StringComparison.Ordinal);
        var clients = new Dictionary<CorpusCaller, HttpClient>
        {
            [CorpusCaller.Admin] = host.CreateClient(BadInputCorpus.AdminKey),
            [CorpusCaller.Enforce] = host.CreateClient(BadInputCorpus.EnforceKey),
            [CorpusCaller.OtherProject] = host.CreateClient(BadInputCorpus.OtherProjectKey),
            [CorpusCaller.WrongKey] = host.CreateClient(BadInputCorpus.WrongKey),
            [CorpusCaller.None] = host.CreateClient(),
        };

        var tally = new Tally();
        foreach (string route in BadInputCorpus.Routes)
        {
            // One thread: each request's dump is compared with the one before it, so a change is the request's own.
            await BadInputCorpus.For(route, open).SampleAsync(
                async request =>
                {
                    string before = Dump(database);
                    (HttpStatusCode status, string answer) = await SendAsync(clients[request.Caller], request);
                    tally.Count(request, status);
                    Assert.True((int)status is >= 400 and < 500, $"{request}\nwas answered {(int)status}: {answer}");
                    string after = Dump(database);
                    Assert.True(before == after, $"{request}\nwas answered {(int)status} and changed the database:\n{Difference(before, after)}");
                },
                iter: casesPerRoute,
                threads: 1,
                print: request => request.ToString());
        }

        Assert.Equal(initial, Dump(database));
        output.WriteLine($"{(open ? "open mode" : "with keys")}: {tally}");
        return tally;
    }

    private static async Task<(HttpStatusCode Status, string Answer)> SendAsync(HttpClient client, CorpusRequest request)
    {
        // Each caller's client reuses its connection: a refusal must leave it usable, or say Connection: close (KeepAliveTests).
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(request.Path, UriKind.Relative));
        if (request.Body is not null)
        {
            var content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }

            message.Content = content;
            message.Headers.TransferEncodingChunked = request.Chunked;
        }

        using HttpResponseMessage response = await client.SendAsync(message);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Budgets, an active, a settled and a released reservation, and a charge: the state a bad request could damage.</summary>
    private static async Task SeedAsync(IBudgetStore store)
    {
        await store.SetBudgetAsync("acme", "global", new BudgetDefinition(100m, BudgetPeriod.Monthly, alertThresholds: [0.5m, 0.9m]));
        await store.SetBudgetAsync("acme", "user:alice", new BudgetDefinition(5m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling));
        await store.SetBudgetAsync("acme", "team:x", new BudgetDefinition(10m));
        await store.SetBudgetAsync("globex", "global", new BudgetDefinition(1m));
        Assert.True((await store.ReserveAsync("acme", ["global", "user:alice"], 0.5m, "r-active", Api.Epoch.AddMinutes(30))).IsReserved);
        Assert.True((await store.ReserveAsync("acme", ["global"], 0.2m, "r-settled", Api.Epoch.AddMinutes(30))).IsReserved);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.SettleAsync("acme", "r-settled", 0.15m, "gpt-4o")).Status);
        Assert.True((await store.ReserveAsync("acme", ["team:x"], 0.3m, "r-released", Api.Epoch.AddMinutes(30))).IsReserved);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ReleaseAsync("acme", "r-released")).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync("acme", ["global", "team:x"], 0.1m, "gpt-4o-mini", "c-done")).Status);
    }

    /// <summary>
    /// The database as text, through a read-only SQLite connection of its own (the service writes a WAL, so the main
    /// file's bytes alone say nothing): the header values, the schema, then every table ordered by name with its rows
    /// ordered by every column, each value with its storage class.
    /// </summary>
    private static string Dump(string path)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        var text = new StringBuilder();
        foreach (string pragma in (string[])["user_version", "application_id"])
        {
            text.Append(pragma).Append(" = ").AppendLine(Query(connection, $"PRAGMA {pragma};").Single()[0]);
        }

        List<string[]> schema = Query(connection, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name;");
        foreach (string[] row in schema)
        {
            text.AppendLine(string.Join(" | ", row));
        }

        foreach (string table in schema.Where(r => r[0] == "text:table").Select(r => r[1][5..]).Order(StringComparer.Ordinal))
        {
            int columns = int.Parse(Query(connection, $"SELECT COUNT(*) FROM pragma_table_info('{table}');").Single()[0]["integer:".Length..], System.Globalization.CultureInfo.InvariantCulture);
            text.Append("== ").AppendLine(table);
            string orderBy = string.Join(", ", Enumerable.Range(1, columns));
            foreach (string[] row in Query(connection, $"SELECT * FROM \"{table}\" ORDER BY {orderBy};"))
            {
                text.AppendLine(string.Join(" | ", row));
            }
        }

        return text.ToString();
    }

    private static List<string[]> Query(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using SqliteDataReader reader = command.ExecuteReader();
        var rows = new List<string[]>();
        while (reader.Read())
        {
            var row = new string[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? "null" : reader.GetValue(i) switch
                {
                    byte[] blob => "blob:" + Convert.ToHexString(blob),
                    string s => "text:" + s,
                    long l => "integer:" + l.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    double d => "real:" + d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                    var other => "other:" + other,
                };
            }

            rows.Add(row);
        }

        return rows;
    }

    private static string Difference(string before, string after)
    {
        string[] a = before.Split('\n');
        string[] b = after.Split('\n');
        return string.Join("\n", a.Except(b).Select(l => "- " + l).Concat(b.Except(a).Select(l => "+ " + l)));
    }

    private static void AddKey(BudgetServerHostOptions options, string project, string key, string role)
    {
        options.Configuration[$"BudgetServer:ApiKeys:{options.ApiKeys.Count}:Role"] = role;
        options.ApiKeys.Add((project, key));
    }

    /// <summary>What was sent and how it was answered. Thread-safe.</summary>
    private sealed class Tally
    {
        private readonly ConcurrentDictionary<int, int> _statuses = new();
        private int _total;
        private int _serverErrors;

        public ConcurrentDictionary<string, int> PerRoute { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<CorpusCaller, int> PerCaller { get; } = new();

        public int Total => Volatile.Read(ref _total);

        public int ServerErrors => Volatile.Read(ref _serverErrors);

        public void Count(CorpusRequest request, HttpStatusCode status)
        {
            Interlocked.Increment(ref _total);
            if ((int)status >= 500)
            {
                Interlocked.Increment(ref _serverErrors);
            }

            PerRoute.AddOrUpdate(request.Route, 1, (_, n) => n + 1);
            PerCaller.AddOrUpdate(request.Caller, 1, (_, n) => n + 1);
            _statuses.AddOrUpdate((int)status, 1, (_, n) => n + 1);
        }

        public override string ToString() =>
            $"{Total} requests, 5xx {ServerErrors}; by status {string.Join(", ", _statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}; " +
            $"by caller {string.Join(", ", PerCaller.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}";
    }
}
