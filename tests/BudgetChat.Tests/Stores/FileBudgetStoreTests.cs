using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Tests;

public sealed class FileBudgetStoreTests : DirectoryBudgetStoreConformanceTests
{
    protected override IBudgetStore CreateStore(string directory, FakeTimeProvider time, BudgetStoreOptions options) =>
        new FileBudgetStore(new FileBudgetStoreOptions { Directory = directory, Ledger = options }, time);

    // ---------------------------------------------------------------- helpers

    private static FileBudgetStore Open(string directory, FakeTimeProvider time, Action<FileBudgetStoreOptions>? configure = null)
    {
        var options = new FileBudgetStoreOptions { Directory = directory };
        configure?.Invoke(options);
        return new FileBudgetStore(options, time);
    }

    private static string ProjectFile(string directory) => Path.Combine(directory, Project, "user_cost.json");

    private static long UnixSeconds(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds();

    // What LiteLLM's BudgetManager writes (json.dump of its user_dict): create_budget(10, "alice"),
    // create_budget(5, "bob", "daily"), create_budget(20, "carol", "monthly") then update_cost twice for carol.
    private const string LiteLlmFile =
        """{"alice": {"total_budget": 10.0}, "bob": {"total_budget": 5.0, "duration": 1, "created_at": 1773057600.5, "last_updated_at": 1773136800.25}, "carol": {"total_budget": 20.0, "duration": 28, "created_at": 1772000000.0, "last_updated_at": 1772900000.0, "current_cost": 1.25, "model_cost": {"gpt-4o": 1.0, "gpt-4o-mini": 0.25}}}""";

    // ---------------------------------------------------------------- LiteLLM's file

    [Fact]
    public async Task ReadsLiteLlmsFile_WithTheBudgetsAndSpendItHolds()
    {
        string directory = NewDirectory();
        await File.WriteAllTextAsync(Path.Combine(directory, "user_cost.json"), LiteLlmFile);
        var time = new FakeTimeProvider(Epoch);
        using FileBudgetStore store = Open(directory, time, o => o.PathForProject = _ => "user_cost.json");

        IReadOnlyList<BudgetState> budgets = await store.ListBudgetsAsync(Project);

        Assert.Equal(["user:alice", "user:bob", "user:carol"], budgets.Select(b => b.Key));
        BudgetState alice = budgets[0];
        Assert.Equal(new BudgetDefinition(10m), alice.Definition);
        Assert.Equal(0m, alice.Spent);
        Assert.Null(alice.WindowEnd);

        BudgetState bob = budgets[1];
        Assert.Equal(new BudgetDefinition(5m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling), bob.Definition);
        DateTimeOffset bobReset = DateTimeOffset.FromUnixTimeMilliseconds(1773136800250);
        Assert.Equal(bobReset, bob.WindowStart);
        Assert.Equal(bobReset.AddDays(1), bob.WindowEnd);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1773057600500), bob.CreatedAt);
        Assert.Equal(0m, bob.Spent);

        BudgetState carol = budgets[2];
        Assert.Equal(new BudgetDefinition(20m, BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling), carol.Definition);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1772900000), carol.WindowStart);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1772900000).AddMonths(1), carol.WindowEnd);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1772000000), carol.CreatedAt);
        Assert.Equal(1.25m, carol.Spent);
        Assert.Equal(1.0m, carol.SpendByModel["gpt-4o"]);
        Assert.Equal(0.25m, carol.SpendByModel["gpt-4o-mini"]);

        Assert.True((await Reserve(store, time, "r1", 18.75m, "user:carol")).IsReserved);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(store, time, "r2", 0.01m, "user:carol")).Status);
    }

    [Fact]
    public async Task ReadsLiteLlmsFile_AndRollsItsPeriodsOverFromLastUpdatedAt()
    {
        string directory = NewDirectory();
        await File.WriteAllTextAsync(Path.Combine(directory, "user_cost.json"), LiteLlmFile);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1772900000).AddMonths(1));
        using FileBudgetStore store = Open(directory, time, o => o.PathForProject = _ => "user_cost.json");

        BudgetState carol = await GetExisting(store, "user:carol");

        Assert.Equal(0m, carol.Spent);
        Assert.Empty(carol.SpendByModel);
        Assert.Equal(time.GetUtcNow(), carol.WindowStart);
    }

    [Fact]
    public async Task WritesLiteLlmsFields_AsLiteLlmWouldWriteThem_AndKeepsTheRestInItsOwnField()
    {
        string directory = NewDirectory();
        string file = Path.Combine(directory, "user_cost.json");
        await File.WriteAllTextAsync(file, LiteLlmFile);
        var time = new FakeTimeProvider(Epoch);
        using (FileBudgetStore store = Open(directory, time, o => o.PathForProject = _ => "user_cost.json"))
        {
            await store.ChargeAsync(Project, ["user:carol"], 0.5m, "gpt-4o", "c1");
            await store.ChargeAsync(Project, ["user:alice"], 0.125m, "o3", "c2");
            await store.SetBudgetAsync(Project, "user:dave", new BudgetDefinition(3m, BudgetPeriod.Weekly));
            await store.SetBudgetAsync(Project, "global", new BudgetDefinition(100m, BudgetPeriod.Yearly, alertThresholds: [0.9m]));
            await store.SaveAsync(Project);
        }

        using JsonDocument document = JsonDocument.Parse(await File.ReadAllBytesAsync(file));
        JsonElement root = document.RootElement;

        JsonElement alice = root.GetProperty("alice");
        Assert.Equal(10.0m, alice.GetProperty("total_budget").GetDecimal());
        Assert.False(alice.TryGetProperty("duration", out _));
        Assert.Equal(0.125m, alice.GetProperty("current_cost").GetDecimal());
        Assert.Equal(0.125m, alice.GetProperty("model_cost").GetProperty("o3").GetDecimal());

        JsonElement carol = root.GetProperty("carol");
        Assert.Equal(28, carol.GetProperty("duration").GetInt32());
        Assert.Equal(1772000000m, carol.GetProperty("created_at").GetDecimal());
        Assert.Equal(1772900000m, carol.GetProperty("last_updated_at").GetDecimal());
        Assert.Equal(1.75m, carol.GetProperty("current_cost").GetDecimal());
        Assert.Equal(1.5m, carol.GetProperty("model_cost").GetProperty("gpt-4o").GetDecimal());
        Assert.Equal(0.25m, carol.GetProperty("model_cost").GetProperty("gpt-4o-mini").GetDecimal());
        Assert.Equal("monthly", carol.GetProperty("budgetchat").GetProperty("period").GetString());

        JsonElement dave = root.GetProperty("dave");
        Assert.Equal(7, dave.GetProperty("duration").GetInt32());
        Assert.Equal(UnixSeconds("2026-03-10T12:00Z"), dave.GetProperty("created_at").GetDecimal());
        Assert.Equal(UnixSeconds("2026-03-09T00:00Z"), dave.GetProperty("last_updated_at").GetDecimal()); // Monday, the calendar window's start
        Assert.Equal("calendar", dave.GetProperty("budgetchat").GetProperty("alignment").GetString());

        JsonElement global = root.GetProperty("budgetchat:global");
        Assert.Equal(365, global.GetProperty("duration").GetInt32());
        Assert.Equal([0.9m], global.GetProperty("budgetchat").GetProperty("alert_thresholds").EnumerateArray().Select(t => t.GetDecimal()));
    }

    [Fact]
    public async Task RoundTrip_AnotherStoreReadsBackExactlyWhatWasWritten()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        var berlin = new DateTimeOffset(2026, 1, 31, 9, 15, 0, TimeSpan.FromHours(1));
        IReadOnlyList<BudgetState> written;
        using (FileBudgetStore store = Open(directory, time))
        {
            await store.SetBudgetAsync(Project, "user:u1", new BudgetDefinition(5m, BudgetPeriod.Monthly, alertThresholds: [0.5m, 0.8m]));
            await store.SetBudgetAsync(Project, "user:budgetchat", new BudgetDefinition(1m));
            await store.SetBudgetAsync(Project, "global", new BudgetDefinition(50m, BudgetPeriod.Monthly, BudgetWindowAlignment.Rolling), berlin);
            await store.SetBudgetAsync(Project, "team:x", new BudgetDefinition(7m));
            await store.ChargeAsync(Project, ["user:u1", "global"], 2.6m, "gpt-4o", "c1");
            Assert.True((await store.ReserveAsync(Project, ["user:u1", "team:x"], 0.4m, "open", Epoch.AddHours(2))).IsReserved);
            Assert.True((await store.ReserveAsync(Project, ["global"], 0.3m, "expired", Epoch.AddMinutes(1))).IsReserved);
            Assert.True((await store.ReserveAsync(Project, ["team:x"], 0.2m, "released", Epoch.AddHours(2))).IsReserved);
            await store.ReleaseAsync(Project, "released");
            time.Advance(TimeSpan.FromMinutes(5));
            written = await store.ListBudgetsAsync(Project);
            await store.SaveAsync(Project);
        }

        using JsonDocument document = JsonDocument.Parse(await File.ReadAllBytesAsync(ProjectFile(directory)));
        Assert.Equal(
            ["budgetchat", "budgetchat:global", "budgetchat:team:x", "budgetchat:user:budgetchat", "u1"],
            document.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        File.Delete(ProjectFile(directory) + ".journal"); // the file alone holds everything

        using FileBudgetStore reader = Open(directory, time);
        IReadOnlyList<BudgetState> read = await reader.ListBudgetsAsync(Project);
        Assert.Equal(written.Count, read.Count);
        for (int i = 0; i < written.Count; i++)
        {
            AssertSameBudget(written[i], read[i]);
        }

        // Reservations, reclaimed holds, remembered ids and alert bits came back too.
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await reader.ChargeAsync(Project, ["user:u1"], 9m, null, "c1")).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await reader.ReleaseAsync(Project, "released")).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await reader.SettleAsync(Project, "expired", 0.1m, null)).Status);
        BudgetCompletion settled = await reader.SettleAsync(Project, "open", 1.5m, "gpt-4o");
        Assert.Equal(BudgetCompletionStatus.Completed, settled.Status);
        Assert.Equal([0.8m], settled.Alerts.Select(a => a.Threshold)); // 0.5 alerted before the save
        Assert.Equal(4.1m, (await GetExisting(reader, "user:u1")).Spent);
        Assert.Equal(1.5m, (await GetExisting(reader, "team:x")).Spent);
        Assert.Equal(2.7m, (await GetExisting(reader, "global")).Spent);
        Assert.Equal(0m, (await GetExisting(reader, "team:x")).Reserved);
    }

    [Fact]
    public async Task ChangesLiteLlmMadeAfterASave_AreRead()
    {
        string directory = NewDirectory();
        string file = ProjectFile(directory);
        var time = new FakeTimeProvider(Epoch);
        using (FileBudgetStore store = Open(directory, time))
        {
            await store.SetBudgetAsync(Project, "user:u1", new BudgetDefinition(5m, BudgetPeriod.Daily, BudgetWindowAlignment.Rolling));
            await store.ChargeAsync(Project, ["user:u1"], 1m, "gpt-4o", "c1");
        }

        // LiteLLM's update_cost adds to current_cost and model_cost, and keeps every other field.
        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(file))!;
        json["u1"]!["current_cost"] = 1.5m;
        json["u1"]!["model_cost"]!["gpt-4o"] = 1.5m;
        await File.WriteAllTextAsync(file, json.ToJsonString());

        using FileBudgetStore reader = Open(directory, time);
        BudgetState state = await GetExisting(reader, "user:u1");
        Assert.Equal(1.5m, state.Spent);
        Assert.Equal(1.5m, state.SpendByModel["gpt-4o"]);

        // LiteLLM's reset_on_duration zeroes the spend and moves last_updated_at to when it reset.
        reader.Dispose();
        json["u1"]!["current_cost"] = 0;
        json["u1"]!["model_cost"] = new System.Text.Json.Nodes.JsonObject();
        json["u1"]!["last_updated_at"] = UnixSeconds("2026-03-10T15:00Z");
        await File.WriteAllTextAsync(file, json.ToJsonString());

        time.SetUtcNow(DateTimeOffset.Parse("2026-03-10T15:30Z", System.Globalization.CultureInfo.InvariantCulture));
        using FileBudgetStore again = Open(directory, time);
        BudgetState reset = await GetExisting(again, "user:u1");
        Assert.Equal(0m, reset.Spent);
        Assert.Equal(DateTimeOffset.Parse("2026-03-10T15:00Z", System.Globalization.CultureInfo.InvariantCulture), reset.WindowStart);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    [InlineData("14")]
    [InlineData("1.5")]
    [InlineData("29.5")]
    public async Task LiteLlmDuration_OtherThanItsPeriods_ThrowsNamingTheFileTheUserAndTheValue(string duration)
    {
        string directory = NewDirectory();
        string file = Path.Combine(directory, "user_cost.json");
        await File.WriteAllTextAsync(file, $$$"""{"alice": {"total_budget": 1.0}, "bob": {"total_budget": 5.0, "duration": {{{duration}}}, "created_at": 1773057600, "last_updated_at": 1773057600}}""");
        using FileBudgetStore store = Open(directory, new FakeTimeProvider(Epoch), o => o.PathForProject = _ => "user_cost.json");

        FormatException ex = await Assert.ThrowsAsync<FormatException>(() => store.GetBudgetAsync(Project, "user:alice").AsTask());

        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'bob'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(duration, ex.Message, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- atomic writes, corruption

    [Fact]
    public async Task Writes_LeaveNoTemporaryFiles_AndCompactTheJournal()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        using (FileBudgetStore store = Open(directory, time, o => o.CompactAfterOperations = 3))
        {
            await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1000m));
            for (int i = 0; i < 200; i++)
            {
                await store.ChargeAsync(Project, ["user:1"], 0.01m, "m", $"c{i}");
            }

            // Compacted all along: the journal holds fewer operations than were made.
            Assert.True(File.ReadAllLines(ProjectFile(directory) + ".journal").Length < 150);
        }

        Assert.Equal(
            ["user_cost.json", "user_cost.json.journal", "user_cost.json.lock"],
            Directory.EnumerateFiles(Path.Combine(directory, Project)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Single(File.ReadAllLines(ProjectFile(directory) + ".journal")); // Dispose folded the rest in: only the header
        using FileBudgetStore reader = Open(directory, time);
        Assert.Equal(2m, (await GetExisting(reader, "user:1")).Spent);
    }

    public static TheoryData<string, string> CorruptFiles() => new()
    {
        { "truncated", """{"alice": {"total_budget": 10.0}, "bob": {"total_bu""" },
        { "not JSON", "\0\0\0\0garbage" },
        { "empty", "" },
        { "an array", "[1, 2]" },
        { "a budget as text", """{"alice": {"total_budget": "ten"}}""" },
        { "a negative budget", """{"alice": {"total_budget": -1}}""" },
        { "a bad date", """{"alice": {"total_budget": 1, "budgetchat": {"period": "none", "alignment": "calendar", "anchor": "yesterday"}}}""" },
        { "a time out of range", """{"bob": {"total_budget": 1, "duration": 1, "created_at": 1e20, "last_updated_at": 1}}""" },
        { "a reservation without keys", """{"budgetchat": {"version": 1, "reservations": [{"id": "r1", "state": "active", "amount": 1, "expires_at": 0}]}}""" },
        { "a newer format", """{"budgetchat": {"version": 2}}""" },
    };

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public async Task CorruptedFile_ThrowsNamingIt_AndIsNeverModified(string what, string content)
    {
        _ = what;
        string directory = NewDirectory();
        string file = ProjectFile(directory);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, content);
        byte[] before = await File.ReadAllBytesAsync(file);
        var time = new FakeTimeProvider(Epoch);
        FileBudgetStore store = Open(directory, time);

        Exception first = await Assert.ThrowsAnyAsync<Exception>(() => store.GetBudgetAsync(Project, "user:alice").AsTask());
        Assert.True(first is InvalidDataException or FormatException, first.ToString());
        Assert.Contains(file, first.Message, StringComparison.Ordinal);

        // Every further call fails the same way, writes included; nothing replaces the file.
        Func<Task>[] calls =
        [
            () => store.SetBudgetAsync(Project, "user:alice", new BudgetDefinition(0m)).AsTask(),
            () => store.ChargeAsync(Project, ["user:alice"], 1m, null, "c1").AsTask(),
            () => store.ListBudgetsAsync(Project).AsTask(),
            () => store.SaveAsync(Project).AsTask(),
        ];
        foreach (Func<Task> call in calls)
        {
            Exception again = await Assert.ThrowsAnyAsync<Exception>(call);
            Assert.Equal(first.GetType(), again.GetType());
            Assert.Equal(first.Message, again.Message);
        }

        store.Dispose();
        Assert.Equal(before, await File.ReadAllBytesAsync(file));
        Assert.False(File.Exists(file + ".journal"));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(file)!, "*.tmp"));
    }

    [Fact]
    public async Task CorruptedJournalLine_ThrowsNamingTheJournal_AndIsNeverModified()
    {
        string directory = NewDirectory();
        string journal = ProjectFile(directory) + ".journal";
        var time = new FakeTimeProvider(Epoch);

        // A process that wrote these and died (not disposed, so the journal was not folded in).
        FileBudgetStore writer = Open(directory, time);
        await writer.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await writer.ChargeAsync(Project, ["user:1"], 0.1m, null, "c1");
        await writer.ChargeAsync(Project, ["user:1"], 0.2m, null, "c2");
        await writer.ChargeAsync(Project, ["user:1"], 0.3m, null, "c3");
        string[] lines = await File.ReadAllLinesAsync(journal);
        lines[2] = lines[2].Replace("\"amount\"", "\"amount\"::", StringComparison.Ordinal);
        await File.WriteAllTextAsync(journal, string.Join('\n', lines) + "\n");

        byte[] before = await File.ReadAllBytesAsync(journal);
        using FileBudgetStore reader = Open(directory, time);

        InvalidDataException ex = await Assert.ThrowsAsync<InvalidDataException>(() => reader.GetBudgetAsync(Project, "user:1").AsTask());
        Assert.Contains(journal, ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidDataException>(() => reader.ChargeAsync(Project, ["user:1"], 0.4m, null, "c4").AsTask());
        await Assert.ThrowsAsync<InvalidDataException>(() => reader.SaveAsync(Project).AsTask());
        reader.Dispose();
        Assert.Equal(before, await File.ReadAllBytesAsync(journal));
    }

    [Fact]
    public async Task TornLastJournalLine_IsIgnored_AndCutOffByTheNextAppend()
    {
        string directory = NewDirectory();
        string journal = ProjectFile(directory) + ".journal";
        var time = new FakeTimeProvider(Epoch);
        using (FileBudgetStore writer = Open(directory, time))
        {
            await writer.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
            await writer.ChargeAsync(Project, ["user:1"], 0.1m, null, "c1");
        }

        // A process died half-way through appending a charge of 0.5.
        await File.AppendAllTextAsync(journal, """{"op":"charge","now":639000000000000000,"keys":["user:1"],"amo""");
        using (FileBudgetStore store = Open(directory, time))
        {
            Assert.Equal(0.1m, (await GetExisting(store, "user:1")).Spent);
            await store.ChargeAsync(Project, ["user:1"], 0.2m, null, "c2");

            string[] lines = await File.ReadAllLinesAsync(journal);
            Assert.Equal(2, lines.Length);
            Assert.All(lines, line => JsonDocument.Parse(line).Dispose());
        }

        using FileBudgetStore reader = Open(directory, time);
        Assert.Equal(0.3m, (await GetExisting(reader, "user:1")).Spent);
    }

    // ---------------------------------------------------------------- sharing

    [Fact]
    public async Task AChargeByOneInstance_IsSeenByTheNextReservationOfAnother()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        using FileBudgetStore first = Open(directory, time);
        using FileBudgetStore second = Open(directory, time);
        await first.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await first.ChargeAsync(Project, ["user:1"], 0.7m, "m", "c1");

        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(second, time, "r1", 0.4m, "user:1")).Status);
        Assert.True((await Reserve(second, time, "r2", 0.3m, "user:1")).IsReserved);
        Assert.Equal(BudgetReservationStatus.InsufficientBudget, (await Reserve(first, time, "r3", 0.01m, "user:1")).Status);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await second.ChargeAsync(Project, ["user:1"], 0.7m, "m", "c1")).Status);
        Assert.Equal(BudgetCompletionStatus.Completed, (await first.SettleAsync(Project, "r2", 0.25m, "m")).Status);

        BudgetState state = await GetExisting(second, "user:1");
        Assert.Equal(0.95m, state.Spent);
        Assert.Equal(0m, state.Reserved);
    }

    [Fact]
    public async Task ConcurrentReservations_ThroughSeveralInstances_NeverAdmitMoreThanTheLimit()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        FileBudgetStore[] stores = [Open(directory, time), Open(directory, time), Open(directory, time)];
        await stores[0].SetBudgetAsync(Project, "global", new BudgetDefinition(1m));
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<BudgetReservationResult>[] calls = [.. Enumerable.Range(0, 150).Select(i => Task.Run(async () =>
        {
            await go.Task;
            return await stores[i % 3].ReserveAsync(Project, ["global"], 0.05m, $"r{i}", Epoch.AddHours(1));
        }))];

        go.SetResult();
        BudgetReservationResult[] results = await Task.WhenAll(calls);

        Assert.Equal(20, results.Count(r => r.IsReserved));
        foreach (FileBudgetStore store in stores)
        {
            Assert.Equal(1m, (await GetExisting(store, "global")).Reserved);
            store.Dispose();
        }
    }

    [Fact]
    public async Task StaleJournal_NextToTheSnapshotACompactionWrote_IsNotAppliedAgain()
    {
        string directory = NewDirectory();
        string journal = ProjectFile(directory) + ".journal";
        var time = new FakeTimeProvider(Epoch);
        Action<FileBudgetStoreOptions> hourRetention = o => o.Ledger = new BudgetStoreOptions { CompletedIdRetention = TimeSpan.FromHours(1) };
        using (FileBudgetStore store = Open(directory, time, hourRetention))
        {
            await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
            await store.ChargeAsync(Project, ["user:1"], 0.1m, null, "c1");
            time.Advance(TimeSpan.FromHours(2));
            await store.ChargeAsync(Project, ["user:1"], 0.2m, null, "c2"); // c1 is forgotten by now
            byte[] oldJournal = await File.ReadAllBytesAsync(journal);
            await store.SaveAsync(Project);

            // As if the process had died after renaming the new snapshot, before replacing the journal.
            await File.WriteAllBytesAsync(journal, oldJournal);
        }

        using (FileBudgetStore restarted = Open(directory, time, hourRetention))
        {
            // Replayed again, c1 would charge a second time: the snapshot no longer remembers its id.
            Assert.Equal(0.3m, (await GetExisting(restarted, "user:1")).Spent);
            await restarted.ChargeAsync(Project, ["user:1"], 0.05m, null, "c3");
        }

        using FileBudgetStore reader = Open(directory, time, hourRetention);
        Assert.Equal(0.35m, (await GetExisting(reader, "user:1")).Spent);
        Assert.Equal(BudgetCompletionStatus.AlreadyCompleted, (await reader.ChargeAsync(Project, ["user:1"], 0.2m, null, "c2")).Status);
    }

    [Fact]
    public async Task WhatAReadChanges_ReclaimsAndRollovers_IsTheSameInEveryInstance()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        using FileBudgetStore first = Open(directory, time);
        using FileBudgetStore second = Open(directory, time);
        await first.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, BudgetPeriod.Daily));
        await first.ChargeAsync(Project, ["user:1"], 0.4m, null, "c1");
        Assert.True((await first.ReserveAsync(Project, ["user:1"], 0.3m, "r1", Epoch.AddMinutes(1))).IsReserved);
        time.SetUtcNow(Epoch.Date.AddDays(1).AddMinutes(5)); // the reservation expired, the day ended

        BudgetState seenFirst = await GetExisting(first, "user:1"); // reclaims and rolls over, at this instant
        time.Advance(TimeSpan.FromMinutes(10));
        BudgetState seenSecond = await GetExisting(second, "user:1");

        Assert.Equal(0m, seenFirst.Spent);
        Assert.Equal(0m, seenFirst.Reserved);
        AssertSameBudget(seenFirst, seenSecond);
    }

    [Fact]
    public async Task CrashAfterTheSnapshotRename_IsNoticedByAStoreFollowingTheOldJournal_AndChargesOnce()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        using FileBudgetStore crashing = Open(directory, time);
        using FileBudgetStore follower = Open(directory, time);
        await crashing.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        await crashing.ChargeAsync(Project, ["user:1"], 0.1m, null, "c1");
        Assert.Equal(0.1m, (await GetExisting(follower, "user:1")).Spent);
        await crashing.ChargeAsync(Project, ["user:1"], 0.2m, null, "c2");
        crashing.AfterSnapshotReplaced = () => throw new IOException("simulated crash");

        await Assert.ThrowsAsync<IOException>(() => crashing.SaveAsync(Project).AsTask());

        // The follower has applied c1 but not c2; the snapshot now holds both, the old journal a marker.
        Assert.Equal(BudgetCompletionStatus.Completed, (await follower.ChargeAsync(Project, ["user:1"], 0.05m, null, "c3")).Status);
        Assert.Equal(0.35m, (await GetExisting(follower, "user:1")).Spent);
        crashing.AfterSnapshotReplaced = null;
        Assert.Equal(0.35m, (await GetExisting(crashing, "user:1")).Spent);
        using FileBudgetStore cold = Open(directory, time);
        Assert.Equal(0.35m, (await GetExisting(cold, "user:1")).Spent);
    }

    [Fact]
    public async Task LockTimeout_ThrowsNamingTheLockFile_WhileAnotherHolderKeepsIt()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        using FileBudgetStore store = Open(directory, time, o => o.LockTimeout = TimeSpan.FromMilliseconds(300));
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));
        string lockFile = ProjectFile(directory) + ".lock";

        var watch = Stopwatch.StartNew();
        using (new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            TimeoutException ex = await Assert.ThrowsAsync<TimeoutException>(() => store.ChargeAsync(Project, ["user:1"], 0.1m, null, "c1").AsTask());
            Assert.Contains(lockFile, ex.Message, StringComparison.Ordinal);
            Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(300), $"Gave up after {watch.Elapsed}.");
        }

        Assert.Equal(BudgetCompletionStatus.Completed, (await store.ChargeAsync(Project, ["user:1"], 0.1m, null, "c1")).Status);
        Assert.Equal(0.1m, (await GetExisting(store, "user:1")).Spent);
    }

    [Fact]
    public async Task StoresWithAnotherTimeZone_RefuseAJournalWrittenUnderTheirs()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        using FileBudgetStore utc = Open(directory, time);
        await utc.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m, BudgetPeriod.Daily));
        using FileBudgetStore berlin = Open(directory, time, o => o.Ledger = new BudgetStoreOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin") });

        InvalidOperationException ex = await Assert.ThrowsAsync<InvalidOperationException>(() => berlin.GetBudgetAsync(Project, "user:1").AsTask());

        Assert.Contains(ProjectFile(directory) + ".journal", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Europe/Berlin", ex.Message, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- layout and options

    [Fact]
    public void GetFilePath_IsUnderTheDirectory_OrWherePathForProjectSays()
    {
        string directory = NewDirectory();
        using FileBudgetStore perProject = Open(directory, new FakeTimeProvider());
        using FileBudgetStore single = Open(directory, new FakeTimeProvider(), o => o.PathForProject = _ => "user_cost.json");

        Assert.Equal(Path.Combine(directory, "acme", "user_cost.json"), perProject.GetFilePath("acme"));
        Assert.Equal(Path.Combine(directory, "user_cost.json"), single.GetFilePath("acme"));
    }

    [Fact]
    public async Task PathForProject_GivingTwoProjectsOneFile_Throws()
    {
        using FileBudgetStore store = Open(NewDirectory(), new FakeTimeProvider(Epoch), o => o.PathForProject = _ => "user_cost.json");
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(1m));

        InvalidOperationException ex = await Assert.ThrowsAsync<InvalidOperationException>(() => store.SetBudgetAsync(OtherProject, "user:1", new BudgetDefinition(1m)).AsTask());

        Assert.Contains("user_cost.json", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/b")]
    [InlineData("../escape")]
    [InlineData("a\\b")]
    [InlineData("a\0b")]
    public async Task ProjectName_ThatIsNotOneSafeFolderName_IsRejected(string project)
    {
        string directory = NewDirectory();
        using FileBudgetStore store = Open(directory, new FakeTimeProvider(Epoch));

        Assert.Equal("project", Assert.Throws<ArgumentException>(() => store.GetFilePath(project)).ParamName);
        Assert.Equal("project", (await Assert.ThrowsAsync<ArgumentException>(() => store.SetBudgetAsync(project, "user:1", new BudgetDefinition(1m)).AsTask())).ParamName);
        Assert.Equal("project", (await Assert.ThrowsAsync<ArgumentException>(() => store.GetBudgetAsync(project, "user:1").AsTask())).ParamName);
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(directory)!), e => Path.GetFileName(e) == "escape");
    }

    [Fact]
    public async Task CallsOnAProjectWithoutFiles_CreateNothing()
    {
        string directory = NewDirectory();
        using FileBudgetStore store = Open(directory, new FakeTimeProvider(Epoch));

        Assert.Null(await store.GetBudgetAsync(Project, "user:1"));
        Assert.Empty(await store.ListBudgetsAsync(Project));
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.SettleAsync(Project, "r1", 1m, null)).Status);
        Assert.Equal(BudgetReservationStatus.BudgetNotFound, (await store.ReserveAsync(Project, ["user:1"], 1m, "r1", Epoch.AddHours(1))).Status);
        Assert.False(await store.DeleteBudgetAsync(Project, "user:1"));

        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
    }

    [Fact]
    public async Task ProjectFolderDeletedWhileInUse_ReadsAsAnEmptyProject_UntilABudgetIsSetAgain()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        using FileBudgetStore store = Open(directory, time);
        await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(5m));
        await store.ChargeAsync(Project, ["user:1"], 1m, null, "c1");
        Assert.True((await store.ReserveAsync(Project, ["user:1"], 1m, "r1", Epoch.AddHours(1))).IsReserved);

        Directory.Delete(Path.Combine(directory, Project), recursive: true);

        // What this instance held before is not answered from memory, and nothing is written back.
        Assert.Null(await store.GetBudgetAsync(Project, "user:1"));
        Assert.Empty(await store.ListBudgetsAsync(Project));
        Assert.Equal(BudgetCompletionStatus.NotFound, (await store.SettleAsync(Project, "r1", 1m, null)).Status);
        Assert.Equal(BudgetReservationStatus.BudgetNotFound, (await store.ReserveAsync(Project, ["user:1"], 1m, "r2", Epoch.AddHours(1))).Status);
        await Assert.ThrowsAsync<BudgetNotFoundException>(() => store.ChargeAsync(Project, ["user:1"], 1m, null, "c2").AsTask());
        Assert.False(Directory.Exists(Path.Combine(directory, Project)));

        BudgetState created = await store.SetBudgetAsync(Project, "user:1", new BudgetDefinition(2m));

        Assert.True(File.Exists(ProjectFile(directory) + ".lock"));
        Assert.Equal(0m, created.Spent);
        Assert.Equal(0m, created.Reserved);
        Assert.Equal(2m, (await store.GetBudgetAsync(Project, "user:1"))!.Limit);
    }

    public static TheoryData<string, Action<FileBudgetStoreOptions>> InvalidOptions() => new()
    {
        { nameof(FileBudgetStoreOptions.Directory), o => o.Directory = " " },
        { nameof(FileBudgetStoreOptions.Ledger), o => o.Ledger = null! },
        { nameof(BudgetStoreOptions.TimeZone), o => o.Ledger.TimeZone = null! },
        { nameof(FileBudgetStoreOptions.CompactAfterOperations), o => o.CompactAfterOperations = 0 },
        { nameof(FileBudgetStoreOptions.LockTimeout), o => o.LockTimeout = TimeSpan.Zero },
        { nameof(FileBudgetStoreOptions.LockTimeout), o => o.LockTimeout = TimeSpan.FromSeconds(-1) },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Constructor_RejectsInvalidOptions_NamingThem(string option, Action<FileBudgetStoreOptions> configure)
    {
        var options = new FileBudgetStoreOptions();
        configure(options);

        ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => new FileBudgetStore(options));

        Assert.Equal(option, ex.ParamName);
    }

    [Fact]
    public void Constructor_Defaults_ToTheWorkingDirectory()
    {
        using var store = new FileBudgetStore();

        Assert.Equal(Path.Combine(Directory.GetCurrentDirectory(), "acme", "user_cost.json"), store.GetFilePath("acme"));
    }

    [Fact]
    public async Task Disposed_StoreThrowsObjectDisposed()
    {
        FileBudgetStore store = Open(NewDirectory(), new FakeTimeProvider(Epoch));
        store.Dispose();
        store.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetBudgetAsync(Project, "user:1").AsTask());
    }

    [Fact]
    public async Task ManyUsers_AreWrittenOnce_NotOnEveryCharge()
    {
        string directory = NewDirectory();
        var time = new FakeTimeProvider(Epoch);
        using FileBudgetStore store = Open(directory, time);
        for (int u = 0; u < 2000; u++)
        {
            await store.SetBudgetAsync(Project, $"user:{u}", new BudgetDefinition(10m));
        }

        await store.SaveAsync(Project);
        string file = ProjectFile(directory);
        DateTime written = File.GetLastWriteTimeUtc(file);
        long length = new FileInfo(file).Length;

        for (int i = 0; i < 1500; i++)
        {
            await store.ChargeAsync(Project, [$"user:{i % 2000}"], 0.01m, null, $"c{i}");
        }

        // 1,500 charges appended 1,500 short lines; the file of 2,000 users was not rewritten.
        Assert.Equal(written, File.GetLastWriteTimeUtc(file));
        Assert.Equal(length, new FileInfo(file).Length);
        Assert.Equal(1501, File.ReadLines(file + ".journal").Count());
        using FileBudgetStore reader = Open(directory, time);
        Assert.Equal(0.01m, (await GetExisting(reader, "user:1499")).Spent);
    }

    [Fact]
    public async Task BlankUser_OfAnOlderFile_IsRead_AndWrittenUnderItsEscapedName()
    {
        string directory = NewDirectory();
        Directory.CreateDirectory(Path.Combine(directory, Project));
        await File.WriteAllTextAsync(ProjectFile(directory), """{"": {"total_budget": 3.0, "current_cost": 0.5}}""");

        using (FileBudgetStore store = Open(directory, new FakeTimeProvider(Epoch)))
        {
            Assert.Equal(0.5m, (await GetExisting(store, "user:")).Spent);
            await store.SaveAsync(Project);
        }

        using JsonDocument document = JsonDocument.Parse(await File.ReadAllBytesAsync(ProjectFile(directory)));
        Assert.Equal(["budgetchat:user:"], document.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.5m, document.RootElement.GetProperty("budgetchat:user:").GetProperty("current_cost").GetDecimal());
    }

    [Fact]
    public async Task FileWithAByteOrderMark_IsRead()
    {
        string directory = NewDirectory();
        await File.WriteAllTextAsync(Path.Combine(directory, "user_cost.json"), LiteLlmFile, new UTF8Encoding(true));
        using FileBudgetStore store = Open(directory, new FakeTimeProvider(Epoch), o => o.PathForProject = _ => "user_cost.json");

        Assert.Equal(3, (await store.ListBudgetsAsync(Project)).Count);
    }

    [Fact]
    public async Task FileWithNonAsciiUsers_IsReadAndWrittenAsUtf8()
    {
        string directory = NewDirectory();
        string file = Path.Combine(directory, "user_cost.json");
        await File.WriteAllTextAsync(file, """{"jos\u00e9": {"total_budget": 2}}""", new UTF8Encoding(false));
        var time = new FakeTimeProvider(Epoch);
        using (FileBudgetStore store = Open(directory, time, o => o.PathForProject = _ => "user_cost.json"))
        {
            await store.ChargeAsync(Project, ["user:josé"], 0.5m, null, "c1");
            await store.SaveAsync(Project);
        }

        Assert.Contains("\"josé\"", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
    }
}
