using Microsoft.Extensions.AI;

namespace BudgetChat.Tests.Middleware;

// How GetResponseAsync completes: when the provider answers, and with its failures in the task it returns rather
// than thrown from the call.
public sealed class ResponseCompletionTests : BudgetingChatClientFixture
{
    public ResponseCompletionTests()
    {
        Store.SetBudgetAsync("default", BudgetKeys.ForUser("alice"), new BudgetDefinition(10m)).AsTask().GetAwaiter().GetResult();
    }

    [Fact]
    public async Task AProviderThatAnswersLater_IsChargedWhenItAnswers()
    {
        var answer = new TaskCompletionSource<ChatResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        Inner.GetResponseAsyncCallback = (_, _, _) => answer.Task;
        using var client = CreateClient();

        Task<ChatResponse> call = client.GetResponseAsync([new(ChatRole.User, "hello")], ForUser("alice"));

        Assert.False(call.IsCompleted);
        BudgetState during = await UserBudgetAsync("alice");
        Assert.Equal(WorstCase, during.Reserved);
        Assert.Equal(0m, during.Spent);

        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "hi")) { ModelId = Model, Usage = Usage(10, 7) };
        answer.SetResult(response);

        Assert.Same(response, await call);
        Assert.Equal(Cost(10, 7), (await UserBudgetAsync("alice")).Spent);
        await AssertNothingHeldAsync();
    }

    [Fact]
    public async Task ACallCancelledBeforeItStarts_EndsCanceled_WithoutCallingTheProvider()
    {
        Answer("hi", Usage(10, 5));
        using var client = CreateClient();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        Task<ChatResponse> call = client.GetResponseAsync([new(ChatRole.User, "hello")], ForUser("alice"), cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.True(call.IsCanceled);
        Assert.Equal(0, InnerCalls);
        await AssertNothingHeldAsync();
    }

    [Fact]
    public async Task ARefusal_IsInTheReturnedTask_NotThrownByTheCall()
    {
        Answer("hi", Usage(10, 5));
        using var client = CreateClient(o => o.ReduceMaxOutputTokensToFit = false);
        await Store.SetBudgetAsync("default", BudgetKeys.ForUser("bob"), new BudgetDefinition(WorstCase / 2));

        Task<ChatResponse> call = client.GetResponseAsync([new(ChatRole.User, "hello")], ForUser("bob"));

        Assert.True(call.IsFaulted);
        await Assert.ThrowsAsync<BudgetExceededException>(() => call);
        Assert.Equal(0, InnerCalls);
    }

    [Fact]
    public async Task NullMessages_AreRefusedInTheReturnedTask()
    {
        using var client = CreateClient();

        Task<ChatResponse> call = client.GetResponseAsync(null!, ForUser("alice"));

        var ex = await Assert.ThrowsAsync<ArgumentNullException>(() => call);
        Assert.Equal("messages", ex.ParamName);
    }
}
