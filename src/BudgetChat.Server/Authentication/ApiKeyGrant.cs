namespace BudgetChat.Server.Authentication;

/// <summary>What a configured API key gives: its project and its role. Immutable.</summary>
internal sealed record ApiKeyGrant(string Project, BudgetServerKeyRole Role);
