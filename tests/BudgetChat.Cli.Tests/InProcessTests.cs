using BudgetChat.Stores;
using NSubstitute;

namespace BudgetChat.Cli.Tests;

/// <summary>What needs a terminal or a store the tool cannot open by itself: colours, and a store without a spend ledger.</summary>
public sealed class InProcessTests
{
    private readonly InMemoryBudgetStore _store = new();

    [Fact]
    public async Task Colours_TheTable_WhenStdoutIsATerminal()
    {
        await _store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m));
        await _store.ChargeAsync("default", ["user:alice"], 10m, null, "c1");

        CliResult list = await InProcess.RunAsync(_store, ["budgets", "list"], terminal: true);

        Assert.Equal(0, list.ExitCode);
        Assert.StartsWith("\u001b[1mKEY", list.Lines[0], StringComparison.Ordinal);
        Assert.Contains("\u001b[31m$0.00\u001b[0m", list.Lines[1], StringComparison.Ordinal); // nothing left: red
    }

    [Theory]
    [InlineData("NO_COLOR", "1")]
    [InlineData("TERM", "dumb")]
    public async Task NeverColours_WhenTheEnvironmentSaysNo(string variable, string value)
    {
        await _store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m));

        CliResult list = await InProcess.RunAsync(_store, ["budgets", "list"], terminal: true, new Dictionary<string, string> { [variable] = value });

        Assert.Equal(0, list.ExitCode);
        Assert.DoesNotContain('\u001b', list.Out);
    }

    [Fact]
    public async Task NeverColours_WithNoColorOption()
    {
        await _store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m));

        CliResult list = await InProcess.RunAsync(_store, ["budgets", "list", "--no-color"], terminal: true);

        Assert.Equal(0, list.ExitCode);
        Assert.DoesNotContain('\u001b', list.Out);
        Assert.Equal(2, TableAssert.Cells(list.Lines[..^1], "LIMIT", "SPENT", "RESERVED", "REMAINING").Length);
    }

    [Fact]
    public async Task Json_HasNoColours_EvenOnATerminal()
    {
        await _store.SetBudgetAsync("default", "user:alice", new BudgetDefinition(10m));

        CliResult list = await InProcess.RunAsync(_store, ["budgets", "list", "--json"], terminal: true);

        Assert.DoesNotContain('\u001b', list.Out);
        Assert.Equal("user:alice", list.Json().GetProperty("budgets")[0].GetProperty("key").GetString());
    }

    [Theory]
    [InlineData("spend")]
    [InlineData("verify")]
    public async Task ExitsWith4_SayingSo_WhenTheStoreKeepsNoSpendLedger(string command)
    {
        IBudgetStore store = Substitute.For<IBudgetStore>();

        CliResult result = await InProcess.RunAsync(store, [command]);

        Assert.Equal(4, result.ExitCode);
        Assert.Equal(string.Empty, result.Out);
        Assert.Contains("keeps no spend ledger", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExitsWith70_WithTheDetails_OnAnUnexpectedError()
    {
        IBudgetStore store = Substitute.For<IBudgetStore>();
#pragma warning disable CA2012 // NSubstitute's setup of a ValueTask-returning member
        store.ListBudgetsAsync("default", Arg.Any<CancellationToken>()).Returns<ValueTask<IReadOnlyList<BudgetState>>>(_ => throw new InvalidOperationException("a bug"));
#pragma warning restore CA2012

        CliResult result = await InProcess.RunAsync(store, ["budgets", "list"]);

        Assert.Equal(70, result.ExitCode);
        Assert.Contains("a bug", result.Error, StringComparison.Ordinal);
        Assert.Contains("InvalidOperationException", result.Error, StringComparison.Ordinal);
    }
}
