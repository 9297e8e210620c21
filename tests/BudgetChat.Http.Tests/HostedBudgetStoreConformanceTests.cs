using BudgetChat.Testing;
using System.Collections.Concurrent;
using BudgetChat.Tests;
using Microsoft.Extensions.Time.Testing;

namespace BudgetChat.Http.Tests;

/// <summary>The store contract, through <see cref="HostedBudgetStore"/>, against a real budget service on loopback keeping its budgets in SQLite.</summary>
public sealed class HostedBudgetStoreConformanceTests : BudgetStoreConformanceTests
{
    private readonly ConcurrentDictionary<IBudgetStore, BudgetService> _services = new();

    // The service prunes by its own retention (BudgetServer:ResetService:SpendRetention); HostedBudgetSpendLogTests checks the client refuses to.
    protected override bool PrunesSpend => false;

    protected override IBudgetStore CreateStore(FakeTimeProvider time, BudgetStoreOptions options)
    {
        BudgetService service = BudgetService.StartAsync(time, options).GetAwaiter().GetResult();
        HostedBudgetStore store = service.CreateStore();
        _services[store] = service;
        return store;
    }

    protected override async ValueTask DisposeStoreAsync(IBudgetStore store)
    {
        await base.DisposeStoreAsync(store);
        if (_services.TryRemove(store, out BudgetService? service))
        {
            await service.DisposeAsync();
        }
    }
}
