namespace BudgetChat;

/// <summary>What a <see cref="BudgetOutboxEntry"/> asks of the store.</summary>
public enum BudgetOutboxOperation
{
    /// <summary>Settle a reservation to its actual cost (<see cref="IBudgetStore.SettleAsync"/>); a store that does not know the id is charged instead.</summary>
    Settle,

    /// <summary>Charge a call that held no reservation (<see cref="IBudgetStore.ChargeAsync"/>).</summary>
    Charge,
}
