using System.Text.Json.Nodes;

namespace BudgetChat.EndToEnd.Tests;

/// <summary>The <c>usage</c> object of an OpenAI chat completion, as the fake server reports it.</summary>
/// <param name="PromptTokens"><c>prompt_tokens</c>, cached ones included.</param>
/// <param name="CompletionTokens"><c>completion_tokens</c>, reasoning ones included.</param>
/// <param name="CachedTokens"><c>prompt_tokens_details.cached_tokens</c>, or <see langword="null"/> to leave the details out.</param>
/// <param name="ReasoningTokens"><c>completion_tokens_details.reasoning_tokens</c>, or <see langword="null"/> to leave the details out.</param>
public sealed record FakeUsage(int PromptTokens, int CompletionTokens, int? CachedTokens = null, int? ReasoningTokens = null)
{
    public JsonObject ToJson()
    {
        var usage = new JsonObject
        {
            ["prompt_tokens"] = PromptTokens,
            ["completion_tokens"] = CompletionTokens,
            ["total_tokens"] = PromptTokens + CompletionTokens,
        };
        if (CachedTokens is { } cached)
        {
            usage["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = cached, ["audio_tokens"] = 0 };
        }

        if (ReasoningTokens is { } reasoning)
        {
            usage["completion_tokens_details"] = new JsonObject
            {
                ["reasoning_tokens"] = reasoning,
                ["audio_tokens"] = 0,
                ["accepted_prediction_tokens"] = 0,
                ["rejected_prediction_tokens"] = 0,
            };
        }

        return usage;
    }

    /// <summary>What the usage costs at <paramref name="price"/>, by the README's rule, written out here rather than taken from <see cref="ModelPrice.GetCost(long, long, long, long)"/>.</summary>
    public decimal CostAt(ModelPrice price)
    {
        int cached = CachedTokens ?? 0;
        int reasoning = ReasoningTokens ?? 0;
        return ((PromptTokens - cached) * price.InputCostPerToken)
            + (cached * (price.CachedInputCostPerToken ?? price.InputCostPerToken))
            + ((CompletionTokens - reasoning) * price.OutputCostPerToken)
            + (reasoning * (price.ReasoningCostPerToken ?? price.OutputCostPerToken));
    }
}
