using Microsoft.Extensions.AI;

namespace BudgetChat.EndToEnd.Tests;

public sealed class MissingUsageTests : EndToEndTest
{
    [Theory]
    [MemberData(nameof(Streaming))]
    public async Task NoUsage_ChargesTheCountedInputAndTheTextReceived(bool streaming)
    {
        string[] chunks = ["The provider ", "reported no ", "usage for ", "this answer."];
        Server.Enqueue(ScriptedResponse.Answer(chunks, usage: null));
        IChatClient client = CreateClient();
        List<ChatMessage> messages = Prompt("Answer without usage.");
        ChatOptions options = ForUser();

        ChatResponse response = await CallAsync(client, streaming, messages, options);

        Assert.Null(response.Usage);
        Assert.Equal(string.Concat(chunks), response.Text);
        decimal expected = EstimateWithoutUsage(Model, messages, options, string.Concat(chunks));
        Assert.True(expected > 0m);
        await AssertChargedAsync(expected);
    }
}
