namespace BudgetChat.Tests.Middleware;

// The middleware completes a call without awaiting when the store answers at once, as the in-memory one does. These
// run every middleware and alert test again over a store that answers only after yielding, as one over the network
// does, so the awaiting paths are held to the same behaviour.

/// <summary>Every <see cref="BudgetingChatClientTests"/> test, over a store that answers after yielding.</summary>
public sealed class BudgetingChatClientOverAsynchronousStoreTests : BudgetingChatClientTests
{
    private OutageStore? _store;

    protected override IBudgetStore ClientStore => _store ??= new OutageStore(Store, asynchronous: true);
}
