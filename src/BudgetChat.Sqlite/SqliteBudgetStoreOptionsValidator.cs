using Microsoft.Extensions.Options;

namespace BudgetChat.Sqlite;

/// <summary>Validates <see cref="SqliteBudgetStoreOptions"/> with the same rules the store's constructor applies.</summary>
internal sealed class SqliteBudgetStoreOptionsValidator : IValidateOptions<SqliteBudgetStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteBudgetStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"SqliteBudgetStoreOptions.{ex.ParamName}: {ex.Message}");
        }
    }
}
