namespace BudgetChat.Cli.Tests;

/// <summary>A wrong command line: exit code 2, nothing on stdout, and a message on stderr naming what is wrong.</summary>
public sealed class UsageTests : IAsyncLifetime
{
    private readonly SqliteFile _db = new();

    public async Task InitializeAsync() => await _db.Store.SetBudgetAsync("default", "global", new BudgetDefinition(1m));

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Theory]
    [InlineData("--limit", "budgets", "set", "k", "--limit", "abc")]
    [InlineData("--limit", "budgets", "set", "k", "--limit", "-5")]
    [InlineData("--limit", "budgets", "set", "k")]
    [InlineData("--period", "budgets", "set", "k", "--limit", "5", "--period", "fortnightly")]
    [InlineData("--alignment", "budgets", "set", "k", "--limit", "5", "--alignment", "sideways")]
    [InlineData("--group-by", "spend", "--group-by", "week")]
    [InlineData("--limit", "spend", "--limit", "0")]
    [InlineData("--limit", "spend", "--limit", "10001")]
    [InlineData("--top", "spend", "--group-by", "user", "--top", "0")]
    [InlineData("--from", "spend", "--from", "the-day-before")]
    [InlineData("--to", "spend", "--to", "soon")]
    [InlineData("--before", "spend", "--before", "-1")]
    [InlineData("--outcome", "spend", "--outcome", "lost")]
    [InlineData("--order", "spend", "--order", "random")]
    [InlineData("--bogus", "budgets", "list", "--bogus")]
    [InlineData("frobnicate", "budgets", "frobnicate")]
    [InlineData("--project", "--project", " ", "budgets", "list")]
    [InlineData("<key>", "budgets", "get", " ")]
    public async Task ExitsWith2_NamingTheOption(string named, params string[] arguments)
    {
        CliResult result = await _db.RunAsync(arguments);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(string.Empty, result.Out);
        Assert.Contains(named, result.Error, StringComparison.Ordinal);
        Assert.Contains("--help' for usage.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExitsWith2_NamingTheUrl_WhenItIsNoHttpAddress()
    {
        CliResult result = await CliProcess.RunAsync("--url", "ftp://example/", "budgets", "list");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--url", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExitsWith2_WhenNoStoreIsNamed()
    {
        CliResult result = await CliProcess.RunAsync("budgets", "list");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--url", result.Error, StringComparison.Ordinal);
        Assert.Contains("--db", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExitsWith2_WhenTwoStoresAreNamed()
    {
        CliResult result = await CliProcess.RunAsync("--url", "http://127.0.0.1:9/", "--db", _db.Path, "budgets", "list");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--url and --db", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExitsWith2_WhenTheTimeZoneIsUnknown()
    {
        CliResult result = await _db.RunAsync("--time-zone", "Mars/Olympus_Mons", "budgets", "list");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--time-zone", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExitsWith2_WhenNoCommandIsGiven()
    {
        CliResult result = await CliProcess.RunAsync();

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("budgetchat --help", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ListsEveryCommand_AndExits0()
    {
        CliResult help = await CliProcess.RunAsync("--help");

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("budgetchat [command] [options]", help.Out, StringComparison.Ordinal);
        foreach (string command in (string[])["budgets", "spend", "verify", "import-litellm", "export-litellm", "serve"])
        {
            Assert.Contains($"  {command}", help.Out, StringComparison.Ordinal);
        }

        CliResult set = await CliProcess.RunAsync("budgets", "set", "--help");
        Assert.Equal(0, set.ExitCode);
        Assert.Contains("--limit <usd> (REQUIRED)", set.Out, StringComparison.Ordinal);
    }
}
