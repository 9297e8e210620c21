using System.Globalization;
using System.Net;
using BudgetChat.Http.Wire;
using BudgetChat.Stores;

namespace BudgetChat.Http;

/// <summary>The budget service's atomic API (docs/budget-service-api.md): each store operation is one request.</summary>
internal sealed class BudgetServiceProtocol(BudgetServiceConnection connection) : IBudgetStore
{
    private readonly BudgetServiceConnection _connection = connection;

    public async ValueTask<BudgetState?> GetBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _connection.SendAsync(HttpMethod.Get, BudgetUri(project, key), project, cancellationToken).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadBudgetAsync(response, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<BudgetState> SetBudgetAsync(string project, string key, BudgetDefinition definition, DateTimeOffset? createdAt = null, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _connection.SendAsync(
            HttpMethod.Put, BudgetUri(project, key), new SetBudgetRequest(DefinitionDto.From(definition), createdAt), WireJsonContext.Default.SetBudgetRequest, project, cancellationToken).ConfigureAwait(false);
        return await ReadBudgetAsync(EnsureFound(response), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<BudgetState> GetOrCreateBudgetAsync(string project, string key, BudgetDefinition definition, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _connection.SendAsync(
            HttpMethod.Post, BudgetUri(project, key, "/get-or-create"), DefinitionDto.From(definition), WireJsonContext.Default.DefinitionDto, project, cancellationToken).ConfigureAwait(false);
        return await ReadBudgetAsync(EnsureFound(response), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> DeleteBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _connection.SendAsync(HttpMethod.Delete, BudgetUri(project, key), project, cancellationToken).ConfigureAwait(false);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    public async ValueTask<IReadOnlyList<BudgetState>> ListBudgetsAsync(string project, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _connection.SendAsync(HttpMethod.Get, ProjectUri(project, "budgets"), project, cancellationToken).ConfigureAwait(false);
        BudgetListDto list = await _connection.ReadAsync(EnsureFound(response), WireJsonContext.Default.BudgetListDto, cancellationToken).ConfigureAwait(false);
        return list.Budgets.Select(b => b.ToState()).ToArray();
    }

    public async ValueTask<BudgetReservationResult> ReserveAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _connection.SendAsync(
            HttpMethod.Post, ProjectUri(project, "reservations"), ReserveRequest.From(reservationId, keys, amount, expiresAt), WireJsonContext.Default.ReserveRequest, project, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return BudgetReservationResult.Conflicting(await ReadConflictAsync(response, cancellationToken).ConfigureAwait(false));
        }

        ReserveResponse result = await _connection.ReadAsync(EnsureFound(response), WireJsonContext.Default.ReserveResponse, cancellationToken).ConfigureAwait(false);
        return result switch
        {
            { Status: BudgetReservationStatus.Reserved, WouldHaveRefused: false } => BudgetReservationResult.Reserved,
            { Status: BudgetReservationStatus.Reserved, Budget: { } budget } => Refusal(budget, result.Window, BudgetReservationResult.ReservedDespite),
            { Status: BudgetReservationStatus.InsufficientBudget, Budget: { } budget } => Refusal(budget, result.Window, BudgetReservationResult.Insufficient),
            { Status: BudgetReservationStatus.BudgetNotFound, Key: { } key } => BudgetReservationResult.NotFound(key),
            _ => throw new InvalidOperationException($"The budget service answered a reservation with status '{result.Status}' but without the budget or key it concerns."),
        };
    }

    public async ValueTask<BudgetCompletion> SettleAsync(string project, string reservationId, BudgetUsage actualCost, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _connection.SendAsync(
            HttpMethod.Post, ProjectUri(project, "reservations/settle"), SettleRequest.From(reservationId, actualCost), WireJsonContext.Default.SettleRequest, project, cancellationToken).ConfigureAwait(false);
        return await ReadCompletionAsync(response, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<BudgetCompletion> ReleaseAsync(string project, string reservationId, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _connection.SendAsync(
            HttpMethod.Post, ProjectUri(project, "reservations/release"), new ReleaseRequest(reservationId), WireJsonContext.Default.ReleaseRequest, project, cancellationToken).ConfigureAwait(false);
        return await ReadCompletionAsync(response, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<BudgetRenewalStatus> RenewAsync(string project, string reservationId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _connection.SendAsync(
            HttpMethod.Post, ProjectUri(project, "reservations/renew"), new RenewRequest(reservationId, expiresAt), WireJsonContext.Default.RenewRequest, project, cancellationToken).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound
            ? BudgetRenewalStatus.NotFound
            : (await _connection.ReadAsync(response, WireJsonContext.Default.RenewResponse, cancellationToken).ConfigureAwait(false)).Status;
    }

    public async ValueTask<BudgetCompletion> ChargeAsync(string project, IReadOnlyList<string> keys, BudgetUsage amount, string chargeId, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _connection.SendAsync(
            HttpMethod.Post, ProjectUri(project, "charges"), ChargeRequest.From(chargeId, keys, amount), WireJsonContext.Default.ChargeRequest, project, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            ProblemDto? problem = await BudgetServiceConnection.ReadProblemDtoAsync(response, cancellationToken).ConfigureAwait(false);
            string key = problem?.Key ?? keys[0];
            throw new BudgetNotFoundException(project, key, problem?.Detail);
        }

        return await ReadCompletionAsync(response, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<BudgetState?> ResetBudgetAsync(string project, string key, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _connection.SendAsync(HttpMethod.Post, BudgetUri(project, key, "/reset"), project, cancellationToken).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadBudgetAsync(response, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _connection.SendAsync(HttpMethod.Post, "v1/sweep", "(all projects)", cancellationToken).ConfigureAwait(false);
        return (await _connection.ReadAsync(EnsureFound(response), WireJsonContext.Default.SweepResponse, cancellationToken).ConfigureAwait(false)).RolledOver;
    }

    public async ValueTask AppendSpendAsync(string project, BudgetSpendRecord record, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _connection.SendAsync(
            HttpMethod.Post, ProjectUri(project, "spend"), AppendSpendRequest.From(record), WireJsonContext.Default.AppendSpendRequest, project, cancellationToken).ConfigureAwait(false);
        EnsureFound(response);
    }

    public async ValueTask<BudgetSpendPage> QuerySpendAsync(string project, BudgetSpendQuery query, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _connection.SendAsync(HttpMethod.Get, SpendUri(project, query, grouping: null), project, cancellationToken).ConfigureAwait(false);
        return (await _connection.ReadAsync(EnsureFound(response), WireJsonContext.Default.SpendPageDto, cancellationToken).ConfigureAwait(false)).ToPage();
    }

    public async ValueTask<IReadOnlyList<BudgetSpendGroup>> GroupSpendAsync(string project, BudgetSpendQuery query, BudgetSpendGrouping grouping, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _connection.SendAsync(HttpMethod.Get, SpendUri(project, query, grouping), project, cancellationToken).ConfigureAwait(false);
        SpendGroupsDto groups = await _connection.ReadAsync(EnsureFound(response), WireJsonContext.Default.SpendGroupsDto, cancellationToken).ConfigureAwait(false);
        return [.. groups.Groups.Select(g => g.ToGroup())];
    }

    // The window of the budget that refused (or would have), by its name; a service that names none means the main limit.
    private BudgetReservationResult Refusal(BudgetDto budget, string? window, Func<BudgetState, BudgetWindowState, BudgetReservationResult> result)
    {
        BudgetState state = budget.ToState();
        BudgetWindowState refusing = window is null ? state.Windows[0]
            : state.Windows.FirstOrDefault(w => string.Equals(w.Name, window, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The budget service at {_connection.BaseAddress} answered a reservation refused by window '{window}', which budget '{state.Key}' does not have.");
        return result(state, refusing);
    }

    private async Task<BudgetState> ReadBudgetAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        (await _connection.ReadAsync(response, WireJsonContext.Default.BudgetDto, cancellationToken).ConfigureAwait(false)).ToState();

    private async Task<BudgetCompletion> ReadCompletionAsync(HttpResponseMessage response, CancellationToken cancellationToken) => response.StatusCode switch
    {
        HttpStatusCode.NotFound => BudgetCompletion.NotFound,
        HttpStatusCode.Conflict => BudgetCompletion.Conflicting(await ReadConflictAsync(response, cancellationToken).ConfigureAwait(false)),
        _ => (await _connection.ReadAsync(response, WireJsonContext.Default.CompletionDto, cancellationToken).ConfigureAwait(false)).ToCompletion(),
    };

    // A 409 names what the id is used for; one this client does not know (a newer service) is reported as ended.
    private static async Task<BudgetConflict> ReadConflictAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        (await BudgetServiceConnection.ReadProblemDtoAsync(response, cancellationToken).ConfigureAwait(false))?.Conflict is { } conflict and not BudgetConflict.None
            ? conflict
            : BudgetConflict.Ended;

    private HttpResponseMessage EnsureFound(HttpResponseMessage response) =>
        response.StatusCode != HttpStatusCode.NotFound ? response
            : throw new InvalidOperationException($"The budget service at {_connection.BaseAddress} has no route {response.RequestMessage?.RequestUri?.AbsolutePath}: is it a BudgetChat budget service of this version?");

    // GET .../spend with the query's filters, and its page (records) or the grouping (groups): every outcome and mark as
    // an 'outcome' parameter of its own.
    private static string SpendUri(string project, BudgetSpendQuery query, BudgetSpendGrouping? grouping)
    {
        var parameters = new List<string>();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                parameters.Add(name + "=" + BudgetServiceConnection.Escape(value));
            }
        }

        Add(SpendQueryNames.From, query.From?.ToString("O", CultureInfo.InvariantCulture));
        Add(SpendQueryNames.To, query.To?.ToString("O", CultureInfo.InvariantCulture));
        Add(SpendQueryNames.User, query.User);
        Add(SpendQueryNames.Key, query.Key);
        Add(SpendQueryNames.Model, query.Model);
        Add(SpendQueryNames.Outcome, query.Outcome is { } outcome ? BudgetSpendNames.ToName(outcome) : null);
        foreach (string mark in BudgetSpendNames.ToNames(query.Marks).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            Add(SpendQueryNames.Outcome, mark);
        }

        // Before and after filter groups too (the records after a reset, BudgetSpendVerifier); limit and order do not.
        Add(SpendQueryNames.Before, query.Before?.ToString(CultureInfo.InvariantCulture));
        Add(SpendQueryNames.After, query.After?.ToString(CultureInfo.InvariantCulture));
        if (grouping is { } by)
        {
            Add(SpendQueryNames.GroupBy, BudgetSpendNames.ToName(by));
            Add(SpendQueryNames.Top, query.Top?.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            Add(SpendQueryNames.Limit, query.Limit.ToString(CultureInfo.InvariantCulture));
            Add(SpendQueryNames.Order, query.OldestFirst ? "oldest" : "newest");
        }

        return ProjectUri(project, "spend") + (parameters.Count == 0 ? string.Empty : "?" + string.Join('&', parameters));
    }

    private static string ProjectUri(string project, string path) => $"v1/projects/{BudgetServiceConnection.Escape(project)}/{path}";

    private static string BudgetUri(string project, string key, string suffix = "") =>
        $"v1/projects/{BudgetServiceConnection.Escape(project)}/budget{suffix}?key={BudgetServiceConnection.Escape(key)}";
}
