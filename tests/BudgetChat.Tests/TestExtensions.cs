namespace BudgetChat.Tests;

internal static class TestExtensions
{
    /// <summary>Midnight of a UTC date as an instant.</summary>
    public static DateTimeOffset ToUniversalTimeOffset(this DateTime date) => new(DateTime.SpecifyKind(date, DateTimeKind.Utc));
}
