namespace BudgetChat;

/// <summary>How <see cref="IBudgetSpendLog.GroupSpendAsync"/> groups spend records.</summary>
public enum BudgetSpendGrouping
{
    /// <summary>One group: the totals of every matching record.</summary>
    None,

    /// <summary>By <see cref="BudgetSpendRecord.User"/> (records without a user form one group whose value is <see langword="null"/>).</summary>
    User,

    /// <summary>By the model that answered (<see cref="BudgetSpendRecord.Model"/>).</summary>
    Model,

    /// <summary>By budget key: a record charged to several keys counts in each of their groups.</summary>
    Key,

    /// <summary>By UTC day of <see cref="BudgetSpendRecord.Time"/>; the value is the day as <c>yyyy-MM-dd</c>.</summary>
    Day,

    /// <summary>By UTC hour of <see cref="BudgetSpendRecord.Time"/>; the value is the hour as <c>yyyy-MM-ddTHH</c>.</summary>
    Hour,

    /// <summary>By outcome (<see cref="BudgetSpendRecord.Outcome"/>), in its wire name (<c>charged</c>, <c>refused</c>, ...).</summary>
    Outcome,
}
