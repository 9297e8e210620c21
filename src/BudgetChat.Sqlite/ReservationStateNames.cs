using BudgetChat.Stores;

namespace BudgetChat.Sqlite;

/// <summary>The names of <see cref="ReservationState"/> values in the files and databases the durable stores write.</summary>
/// <remarks>The names are part of those formats: changing one makes existing files and databases unreadable. This type is thread-safe.</remarks>
internal static class ReservationStateNames
{
    public static string ToName(ReservationState state) => state switch
    {
        ReservationState.Active => "active",
        ReservationState.Reclaimed => "reclaimed",
        ReservationState.Settled => "settled",
        ReservationState.Released => "released",
        ReservationState.Charged => "charged",
        _ => "completed",
    };

    /// <returns><see langword="false"/> when the name is not one of ours.</returns>
    public static bool TryParse(string name, out ReservationState state)
    {
        switch (name)
        {
            case "active":
                state = ReservationState.Active;
                return true;
            case "reclaimed":
                state = ReservationState.Reclaimed;
                return true;
            case "completed":
                state = ReservationState.Completed;
                return true;
            case "settled":
                state = ReservationState.Settled;
                return true;
            case "released":
                state = ReservationState.Released;
                return true;
            case "charged":
                state = ReservationState.Charged;
                return true;
            default:
                state = default;
                return false;
        }
    }

    /// <exception cref="FormatException">The name is not one of ours.</exception>
    public static ReservationState Parse(string name) =>
        TryParse(name, out ReservationState state) ? state : throw new FormatException($"Unknown reservation state '{name}'.");
}
