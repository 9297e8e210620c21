using BudgetChat.PricingGenerator;

// Regenerates src/BudgetChat/Pricing/model_prices.json from LiteLLM's price table:
//   dotnet run --project tools/BudgetChat.PricingGenerator [-- <litellm json> <output json>]
string root = FindRepositoryRoot();
string input = args.Length > 0 ? args[0] : Path.Combine(root, "..", "shared", "pricing", "model_prices_and_context_window.json");
string output = args.Length > 1 ? args[1] : Path.Combine(root, "src", "BudgetChat", "Pricing", "model_prices.json");

using (FileStream source = File.OpenRead(input))
using (FileStream target = File.Create(output))
{
    int count = PriceTableGenerator.Generate(source, target);
    Console.WriteLine($"Wrote {count} chat models from {Path.GetFullPath(input)} to {Path.GetFullPath(output)}.");
}

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "BudgetChat.sln")))
        {
            return dir.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}
