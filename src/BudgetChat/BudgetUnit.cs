namespace BudgetChat;

/// <summary>What a <see cref="BudgetLimit"/> counts.</summary>
public enum BudgetUnit
{
    /// <summary>US dollars: the worst-case cost is held before the call and the real cost charged after it.</summary>
    Dollars = 0,

    /// <summary>Tokens, input and output together: the worst case (input + the output allowed) is held before the call and the reported count charged after it.</summary>
    Tokens,

    /// <summary>Requests: each call counts one when it is admitted, whatever happens to it afterwards.</summary>
    Requests,
}
