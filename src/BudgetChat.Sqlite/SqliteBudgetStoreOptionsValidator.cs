using Microsoft.Extensions.Options;

namespace BudgetChat.Sqlite;

/// <summary>Validates <see cref="SqliteBudgetStoreOptions"/>: the same rules the store's constructor applies.</summary>
[OptionsValidator]
internal sealed partial class SqliteBudgetStoreOptionsValidator : IValidateOptions<SqliteBudgetStoreOptions>;
