using System.Text;
using BudgetChat.PricingGenerator;

namespace BudgetChat.Tests.Pricing;

public sealed class ModelPriceCatalogTests
{
    private static readonly ModelPriceCatalog Default = ModelPriceCatalog.CreateDefault();

    [Fact]
    public void Default_HasLiteLlmsPricesAsExactDecimals()
    {
        ModelPrice gpt4o = Default.GetPrice("gpt-4o");

        Assert.Equal(0.0000025m, gpt4o.InputCostPerToken);
        Assert.Equal(0.00001m, gpt4o.OutputCostPerToken);
        Assert.Equal(0.00000125m, gpt4o.CachedInputCostPerToken);
        Assert.Equal(16_384, gpt4o.MaxOutputTokens);
        Assert.Equal(128_000, gpt4o.MaxInputTokens);

        ModelPrice gpt4 = Default.GetPrice("gpt-4");
        Assert.Equal(0.00003m, gpt4.InputCostPerToken);
        Assert.Equal(0.00006m, gpt4.OutputCostPerToken);
        Assert.Null(gpt4.CachedInputCostPerToken);
    }

    [Fact]
    public void Default_HoldsOnlyChatModels()
    {
        Assert.False(Default.TryGetPrice("text-embedding-3-small", out _));
        Assert.False(Default.TryGetPrice("dall-e-3", out _));
        Assert.False(Default.TryGetPrice("sample_spec", out _));
        Assert.True(Default.Models.Count > 1_000);
    }

    [Theory]
    [InlineData("gpt-4o", "gpt-4o")]
    [InlineData("GPT-4o", "gpt-4o")]
    [InlineData("openai/gpt-4o", "gpt-4o")]
    [InlineData("my-gateway/openai/gpt-4o", "gpt-4o")]
    [InlineData("gpt-4o-2099-01-01", "gpt-4o")]
    [InlineData("openai/gpt-4o-2099-01-01", "gpt-4o")]
    [InlineData("claude-3-5-sonnet-20991022", "claude-3-5-sonnet")]
    [InlineData("gpt-4-0999", "gpt-4")]
    public void ResolvesIds_ExactThenWithoutProviderThenWithoutDate(string asked, string listed)
    {
        var catalog = new ModelPriceCatalog();
        catalog.SetPrice(listed, new ModelPrice(1m, 2m));

        Assert.True(catalog.TryGetPrice(asked, out ModelPrice? price));
        Assert.Equal(1m, price.InputCostPerToken);
    }

    [Fact]
    public void PrefersTheExactDatedEntry_OverTheUndatedOne()
    {
        var catalog = new ModelPriceCatalog();
        catalog.SetPrice("gpt-4o", new ModelPrice(1m, 1m));
        catalog.SetPrice("gpt-4o-2024-05-13", new ModelPrice(5m, 5m));

        Assert.Equal(5m, catalog.GetPrice("gpt-4o-2024-05-13").InputCostPerToken);
        Assert.Equal(5m, catalog.GetPrice("openai/gpt-4o-2024-05-13").InputCostPerToken);
        Assert.Equal(1m, catalog.GetPrice("gpt-4o-2024-08-06").InputCostPerToken);
    }

    [Fact]
    public void UnknownModel_ThrowsNamingTheModelAndHowToAddAPrice()
    {
        var ex = Assert.Throws<ModelPriceNotFoundException>(() => Default.GetPrice("acme-llm-9000"));

        Assert.Equal("acme-llm-9000", ex.ModelId);
        Assert.Contains("'acme-llm-9000'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SetPrice", ex.Message, StringComparison.Ordinal);
        Assert.Contains("FallbackPrice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownModel_GetsTheFallbackPrice_WhenOneIsSet()
    {
        ModelPriceCatalog catalog = ModelPriceCatalog.CreateDefault();
        catalog.FallbackPrice = new ModelPrice(0.5m, 0.5m);

        Assert.Equal(0.5m, catalog.GetPrice("acme-llm-9000").InputCostPerToken);
        Assert.Equal(0.0000025m, catalog.GetPrice("gpt-4o").InputCostPerToken);
    }

    [Fact]
    public void RepeatedLookups_AnswerEachIdWithItsOwnPrice_InAnyOrder()
    {
        ModelPriceCatalog catalog = ModelPriceCatalog.CreateDefault();
        string[] ids = ["gpt-4o", "gpt-4o-mini", "gpt-4o", "GPT-4O-MINI", "openai/gpt-4o", "gpt-4o-mini", "gpt-4o-mini", "gpt-4o"];
        decimal[] expected = [0.0000025m, 0.00000015m, 0.0000025m, 0.00000015m, 0.0000025m, 0.00000015m, 0.00000015m, 0.0000025m];

        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < ids.Length; i++)
            {
                Assert.Equal(expected[i], catalog.GetPrice(ids[i]).InputCostPerToken);
            }
        }

        Assert.Throws<ArgumentException>(() => catalog.GetPrice(" "));
        Assert.Throws<ArgumentNullException>(() => catalog.GetPrice(null!));
        Assert.Throws<ModelPriceNotFoundException>(() => catalog.GetPrice("acme-llm-9000"));
        catalog.FallbackPrice = new ModelPrice(0.5m, 0.5m);
        Assert.Equal(0.5m, catalog.GetPrice("acme-llm-9000").InputCostPerToken);
    }

    [Fact]
    public void SetPrice_OverridesOneModel_WithoutChangingOtherCatalogs()
    {
        ModelPriceCatalog catalog = ModelPriceCatalog.CreateDefault();
        Assert.Equal(0.0000025m, catalog.GetPrice("gpt-4o-2024-08-06").InputCostPerToken);

        catalog.SetPrice("gpt-4o-2024-08-06", new ModelPrice(1m, 1m));

        Assert.Equal(1m, catalog.GetPrice("gpt-4o-2024-08-06").InputCostPerToken);
        Assert.Equal(0.0000025m, ModelPriceCatalog.CreateDefault().GetPrice("gpt-4o-2024-08-06").InputCostPerToken);
    }

    [Fact]
    public void LoadLiteLlm_AddsAndReplacesPrices_FromANewerFile()
    {
        ModelPriceCatalog catalog = ModelPriceCatalog.CreateDefault();
        const string newer = """
            {
              "gpt-4o": { "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 4e-06, "max_output_tokens": 32000 },
              "brand-new-model": { "mode": "chat", "input_cost_per_token": 3e-07, "output_cost_per_token": 9e-07, "cache_read_input_token_cost": 1e-07, "output_cost_per_reasoning_token": 2e-06 },
              "an-embedding": { "mode": "embedding", "input_cost_per_token": 1e-08, "output_cost_per_token": 0 },
              "sample_spec": { "mode": "one of: chat, embedding", "input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "max_tokens": "LEGACY" }
            }
            """;

        int loaded = catalog.LoadLiteLlm(new MemoryStream(Encoding.UTF8.GetBytes(newer)));

        Assert.Equal(2, loaded);
        Assert.Equal(0.000001m, catalog.GetPrice("gpt-4o").InputCostPerToken);
        Assert.Equal(32_000, catalog.GetPrice("gpt-4o").MaxOutputTokens);
        ModelPrice brandNew = catalog.GetPrice("brand-new-model");
        Assert.Equal(0.0000001m, brandNew.CachedInputCostPerToken);
        Assert.Equal(0.000002m, brandNew.ReasoningCostPerToken);
        Assert.False(catalog.TryGetPrice("an-embedding", out _));
        Assert.Equal(0.00003m, catalog.GetPrice("gpt-4").InputCostPerToken);
    }

    [Fact]
    public void LoadLiteLlm_SkipsFieldsItDoesNotRead_WhateverTheirShape()
    {
        var catalog = new ModelPriceCatalog();
        const string file = """
            {
              // LiteLLM's file has comments in some versions, nested fields, and entries that are not models.
              "note": [1, 2, { "mode": "chat" }],
              "nested-first": {
                "supported_regions": ["us", { "input_cost_per_token": 9 }],
                "search_context_cost_per_query": { "input_cost_per_token": 9, "mode": "embedding" },
                "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "max_tokens": 100,
              },
              "price-is-an-object": { "mode": "chat", "input_cost_per_token": { "value": 1e-06 }, "output_cost_per_token": 2e-06 },
              "responses-model": { "output_cost_per_token": 4e-06, "input_cost_per_token": 3e-06, "mode": "responses", "max_output_tokens": "LEGACY" },
            }
            """;

        int loaded = catalog.LoadLiteLlm(new MemoryStream(Encoding.UTF8.GetBytes(file)));

        Assert.Equal(2, loaded);
        ModelPrice nested = catalog.GetPrice("nested-first");
        Assert.Equal(0.000001m, nested.InputCostPerToken);
        Assert.Equal(0.000002m, nested.OutputCostPerToken);
        Assert.Equal(100, nested.MaxOutputTokens);
        Assert.False(catalog.TryGetPrice("price-is-an-object", out _));
        Assert.False(catalog.TryGetPrice("note", out _));
        Assert.Equal(0.000003m, catalog.GetPrice("responses-model").InputCostPerToken);
        Assert.Null(catalog.GetPrice("responses-model").MaxOutputTokens);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{ \"gpt-4o\": { \"mode\": \"chat\", \"input_cost_per_token\": 1e-06")]
    [InlineData("{ \"gpt-4o\": { \"mode\": \"chat\", \"input_cost_per_token\": 1e-06, \"output_cost_per_token\": 4e-06 } } { }")]
    public void LoadLiteLlm_RejectsAFileThatIsNotAPriceTable_AndKeepsThePrices(string content)
    {
        ModelPriceCatalog catalog = ModelPriceCatalog.CreateDefault();

        Assert.Throws<FormatException>(() => catalog.LoadLiteLlm(new MemoryStream(Encoding.UTF8.GetBytes(content))));

        Assert.Equal(0.0000025m, catalog.GetPrice("gpt-4o").InputCostPerToken);
    }

    [Fact]
    public void BuiltInTable_IsWhatTheGeneratorMakesFromTheSharedLiteLlmFile()
    {
        string root = RepositoryRoot();
        string source = Path.Combine(root, "..", "shared", "pricing", "model_prices_and_context_window.json");
        Assert.True(File.Exists(source), $"The LiteLLM price table is expected at {source} (../shared beside the repository).");

        using var generated = new MemoryStream();
        using (FileStream input = File.OpenRead(source))
        {
            PriceTableGenerator.Generate(input, generated);
        }

        string committed = File.ReadAllText(Path.Combine(root, "src", "BudgetChat", "Pricing", "model_prices.json"));
        Assert.True(
            committed == Encoding.UTF8.GetString(generated.ToArray()),
            "src/BudgetChat/Pricing/model_prices.json is out of date: run 'dotnet run --project tools/BudgetChat.PricingGenerator'.");
    }

    [Fact]
    public void BuiltInTable_PricesEveryChatModelOfTheSharedFile()
    {
        string source = Path.Combine(RepositoryRoot(), "..", "shared", "pricing", "model_prices_and_context_window.json");
        using FileStream input = File.OpenRead(source);
        ModelPriceCatalog fromSource = ModelPriceCatalog.FromLiteLlm(input);

        Assert.Equal(fromSource.Models.Count, Default.Models.Count);
        foreach (string model in fromSource.Models)
        {
            // Equal as records, and as text, which shows each decimal's scale: the prices are the same bits.
            Assert.Equal(fromSource.GetPrice(model), Default.GetPrice(model));
            Assert.Equal(fromSource.GetPrice(model).ToString(), Default.GetPrice(model).ToString());
        }
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BudgetChat.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("BudgetChat.sln not found above " + AppContext.BaseDirectory);
    }
}
