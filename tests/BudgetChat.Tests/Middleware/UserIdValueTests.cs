using System.Text.Json;
using Microsoft.Extensions.AI;

namespace BudgetChat.Tests.Middleware;

/// <summary>A user put into the options by hand, as something other than a non-empty string, is read or refused, never ignored.</summary>
public sealed class UserIdValueTests : BudgetingChatClientFixture
{
    public static TheoryData<object, string> UsersByValue => new()
    {
        { new Guid("6f1c2a4e-0b3d-4c5e-8f70-112233445566"), "6f1c2a4e-0b3d-4c5e-8f70-112233445566" },
        { 42, "42" },
        { -7L, "-7" },
        { (ushort)9, "9" },
        { JsonSerializer.Deserialize<JsonElement>("\"carol\""), "carol" },
        { JsonSerializer.Deserialize<JsonElement>("1234567890123"), "1234567890123" },
    };

    public static TheoryData<object> NotUsers => new()
    {
        "",
        "   ",
        4.5,
        true,
        new object(),
        JsonSerializer.Deserialize<JsonElement>("1.5"),
        JsonSerializer.Deserialize<JsonElement>("{\"id\":1}"),
        JsonSerializer.Deserialize<JsonElement>("\"\""),
    };

    [Theory]
    [MemberData(nameof(UsersByValue))]
    public async Task AGuidOrAnInteger_IsTheUser_ByItsInvariantText(object value, string expected)
    {
        await Store.SetBudgetAsync(BudgetingChatClientOptions.DefaultProjectName, BudgetKeys.ForUser(expected), new BudgetDefinition(1m));
        Answer("ok", Usage(10, 5));
        using var client = CreateClient();
        var options = new ChatOptions { AdditionalProperties = new() { [ChatOptionsBudgetExtensions.UserIdKey] = value } };

        await client.GetResponseAsync("hello", options);

        Assert.Equal(expected, options.GetBudgetUser());
        Assert.Equal(Cost(10, 5), (await UserBudgetAsync(expected)).Spent);
    }

    [Theory]
    [MemberData(nameof(NotUsers))]
    public async Task AValueThatNamesNoUser_IsRefusedBeforeTheModelIsCalled_NamingTheEntry(object value)
    {
        using var client = CreateClient(o => o.MaxBudget = 10m);
        var options = new ChatOptions { AdditionalProperties = new() { [ChatOptionsBudgetExtensions.UserIdKey] = value } };

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("hello", options));

        Assert.Contains("AdditionalProperties[\"budgetchat.user\"]", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, InnerCalls);
        Assert.Equal(0m, (await Store.GetBudgetAsync(BudgetingChatClientOptions.DefaultProjectName, BudgetKeys.Global))?.Spent ?? 0m);
    }

    [Fact]
    public void TheCompatibleUserEntry_IsReadTheSameWay()
    {
        var named = new ChatOptions { AdditionalProperties = new() { [ChatOptionsBudgetExtensions.CompatibleUserIdKey] = 17 } };
        var blank = new ChatOptions { AdditionalProperties = new() { [ChatOptionsBudgetExtensions.CompatibleUserIdKey] = " " } };

        Assert.Equal("17", named.GetBudgetUser());
        Assert.Contains("AdditionalProperties[\"user\"]", Assert.Throws<ArgumentException>(() => blank.GetBudgetUser()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANullEntry_NamesNoUser()
    {
        var options = new ChatOptions { AdditionalProperties = new() { [ChatOptionsBudgetExtensions.UserIdKey] = null } };

        Assert.Null(options.GetBudgetUser());
    }
}
