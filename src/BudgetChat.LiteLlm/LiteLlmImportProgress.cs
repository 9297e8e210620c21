namespace BudgetChat.LiteLlm;

/// <summary>How far an import of a <c>user_cost.json</c> file has got (<see cref="LiteLlmUserCostFile"/>).</summary>
/// <param name="Imported">The users imported so far.</param>
/// <param name="Total">The users in the file.</param>
/// <remarks>Instances are immutable and thread-safe.</remarks>
public readonly record struct LiteLlmImportProgress(int Imported, int Total);
