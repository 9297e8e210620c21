namespace BudgetChat.Tests.Middleware;

/// <summary>Every <see cref="AlertTests"/> test, over a store that answers after yielding (see <see cref="BudgetingChatClientOverAsynchronousStoreTests"/>).</summary>
public sealed class AlertsOverAsynchronousStoreTests : AlertTests
{
    private OutageStore? _store;

    protected override IBudgetStore ClientStore => _store ??= new OutageStore(Store, asynchronous: true);
}
