using System.Globalization;

namespace BudgetChat.Stores;

/// <summary>
/// The scale and range of the money a store keeps: every amount, cost and limit is held rounded to
/// <see cref="Scale"/> decimal places (a millionth of a millionth of a dollar, far below any token's price) and at most
/// <see cref="Max"/>. Sums of such amounts are exact in <see cref="decimal"/>, so what is reserved and released comes
/// back to exactly zero, and negative zero is zero.
/// </summary>
/// <remarks>This type is thread-safe.</remarks>
public static class BudgetAmounts
{
    /// <summary>The decimal places amounts are held at.</summary>
    public const int Scale = 12;

    /// <summary>The largest amount, cost or limit a store accepts, in US dollars.</summary>
    public const decimal Max = 1_000_000_000_000m;

    /// <summary>Rounds an amount to <see cref="Scale"/> places (half to even), with negative zero as zero.</summary>
    /// <param name="amount">The amount, in US dollars.</param>
    /// <returns>The amount as a store holds it.</returns>
    public static decimal Normalize(decimal amount)
    {
        decimal rounded = decimal.Round(amount, Scale, MidpointRounding.ToEven);
        return rounded == 0m ? 0m : rounded;
    }

    /// <summary>Checks that an amount is neither negative nor above <see cref="Max"/>.</summary>
    /// <param name="amount">The amount.</param>
    /// <param name="paramName">The parameter's name, for the exception.</param>
    /// <exception cref="ArgumentOutOfRangeException">The amount is out of range.</exception>
    public static void Check(decimal amount, string paramName)
    {
        if (amount < 0m || amount > Max)
        {
            throw new ArgumentOutOfRangeException(paramName, amount, string.Create(CultureInfo.InvariantCulture, $"Amounts are US dollars from 0 to {Max:#,0}."));
        }
    }
}
