namespace BudgetChat;

/// <summary>The exception thrown when a call uses a model whose price is not known.</summary>
/// <remarks>BudgetChat never prices an unknown model at $0; configure <see cref="ModelPriceCatalog.FallbackPrice"/> to accept unknown models.</remarks>
public sealed class ModelPriceNotFoundException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ModelPriceNotFoundException"/> class.</summary>
    public ModelPriceNotFoundException()
        : this("The model's price is not known.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelPriceNotFoundException"/> class.</summary>
    /// <param name="message">The message.</param>
    public ModelPriceNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelPriceNotFoundException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public ModelPriceNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a model, with a message that says how to add its price.</summary>
    /// <param name="modelId">The model without a price, or <see langword="null"/> when no model id was known at all.</param>
    /// <returns>The exception.</returns>
    public static ModelPriceNotFoundException ForModel(string? modelId) => new(
        modelId is null
            ? "The call names no model, so it cannot be priced. Set ChatOptions.ModelId, use an inner client whose ChatClientMetadata has a DefaultModelId, or set BudgetingChatClientOptions.DefaultModelId."
            : $"No price is known for model '{modelId}'. Add one with ModelPriceCatalog.SetPrice(\"{modelId}\", new ModelPrice(inputCostPerToken, outputCostPerToken)), load a newer LiteLLM price file with ModelPriceCatalog.LoadLiteLlm, or set ModelPriceCatalog.FallbackPrice to accept unknown models.")
    {
        ModelId = modelId,
    };

    /// <summary>Gets the model without a price.</summary>
    public string? ModelId { get; private init; }
}
