using System.Text;
using CsCheck;

namespace BudgetChat.Server.Tests;

/// <summary>A caller of the service: the API key sent, if any.</summary>
internal enum CorpusCaller
{
    Admin,
    Enforce,
    None,
    WrongKey,
    OtherProject,
}

/// <summary>One generated request that the service must refuse, with the kinds of badness it combines.</summary>
internal sealed record CorpusRequest(string Route, string Method, string Path, byte[]? Body, string? ContentType, bool Chunked, CorpusCaller Caller, string Faults)
{
    public override string ToString()
    {
        string body = Body is null ? "(no body)"
            : Body.Length > 400 ? $"({Body.Length} bytes) {Encoding.UTF8.GetString(Body, 0, 200)}..."
            : Encoding.UTF8.GetString(Body);
        return $"{Method} /{Path} [{Faults}] caller={Caller} content-type={ContentType ?? "(none)"}{(Chunked ? " chunked" : string.Empty)} body={body}";
    }
}

/// <summary>
/// Generators of requests the budget service must refuse (4xx), for every route. Each request starts from a valid one
/// and gets one or more faults, each of which alone makes it invalid, and none of which undoes another: a wrong caller,
/// a bad project, a bad query key, a content type that is not JSON, an oversize body, a body that breaks the route's
/// contract (wrong types, missing, unknown or repeated members, bad values, not JSON at all), or an id or key whose
/// state the request conflicts with (404, 409). What the service does not refuse is not generated: numbers past 12
/// decimal places (rounded), <c>-0</c> (zero), <c>null</c> for an optional member, unknown query parameters.
/// </summary>
/// <remarks>The seeded state the faults refer to is <see cref="BadInputCorpusTests"/>'s.</remarks>
internal static class BadInputCorpus
{
    public const string AdminKey = "acme-admin-key-0123456789ab";
    public const string EnforceKey = "acme-enforce-key-0123456789";
    public const string OtherProjectKey = "globex-admin-key-987654321ab";
    public const string WrongKey = "not-a-configured-key-000111";

    /// <summary>Every route with input to refuse, by method and pattern (as <c>AccessMatrixTests</c> names them).</summary>
    public static readonly string[] Routes =
    [
        "GET /v1/projects/{project}/budgets",
        "GET /v1/projects/{project}/budget",
        "PUT /v1/projects/{project}/budget",
        "POST /v1/projects/{project}/budget/get-or-create",
        "DELETE /v1/projects/{project}/budget",
        "POST /v1/projects/{project}/budget/reset",
        "POST /v1/projects/{project}/reservations",
        "POST /v1/projects/{project}/reservations/settle",
        "POST /v1/projects/{project}/reservations/release",
        "POST /v1/projects/{project}/reservations/renew",
        "POST /v1/projects/{project}/charges",
        "POST /v1/projects/{project}/sweep",
        "POST /v1/sweep",
        "GET /v1/projects/{project}/spend",
        "POST /v1/projects/{project}/spend",
        "POST /get_budget",
        "POST /set_budget",
    ];

    // U+E000 in a generated string stands for a byte that is never UTF-8 (0xFF), put in when the body is encoded.
    private const char NotUtf8 = '\uE000';

    private enum Fault
    {
        Caller,
        Project,
        Query,
        UnknownKey,
        ContentType,
        Oversize,
        Body,
        State,
    }

    private static readonly Gen<string> Alnum = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"], 1, 12];

    // ---------------------------------------------------------------- values

    private static readonly Gen<string> ValidMoney = Gen.Int[1, 50_000].Select(i => Api.Money(i / 10_000m));

    private static readonly Gen<string> BadMoneyNotNull = Either(
        Pick("-1", "-0.01", "-0.000000000001", "-1000000000001", "1000000000000.01", "1000000000000.000000000001", "1e13", "1E40", "1e400",
            "79228162514264337593543950336", "NaN", "Infinity", "-Infinity", "\"0.1\"", "\"\"", "true", "[]", "[1]", "{}", "0x10", "1.", ".5", "+1", "01"),
        ValidMoney.Select(m => "-" + m),
        Gen.Int[13, 27].Select(digits => "1" + new string('0', digits)));

    private static readonly Gen<string> BadMoney = Either(BadMoneyNotNull, Pick("null"));

    private static readonly Gen<string> ValidId = Alnum.Select(s => Quote("id-" + s));

    private static readonly Gen<string> BadIdNotNull = Either(
        Pick("\"\"", "\" \"", "\"\\t \\n\"", "1", "0.5", "true", "[]", "[\"a\"]", "{}", "\"\\ud800\"", "\"a\\udc00b\"", Quote("a" + NotUtf8 + "b")),
        Gen.Int[257, 400].Select(n => Quote(new string('r', n))));

    private static readonly Gen<string> BadId = Either(BadIdNotNull, Pick("null"));

    private static readonly Gen<string> ValidKeys = Pick("[\"global\"]", "[\"global\", \"user:alice\"]", "[\"team:x\"]", "[\"user:alice\", \"team:x\"]");

    private static readonly Gen<string> BadKeys = Either(
        Pick("[]", "[\"global\", \"global\"]", "[\"global\", \" \"]", "[\"\"]", "[null]", "[1]", "[[\"global\"]]", "\"global\"", "{}", "null", "7",
            "[\"\\ud800\"]", "[" + Quote("user:" + NotUtf8) + "]"),
        Gen.Int[17, 40].Select(n => "[" + string.Join(", ", Enumerable.Range(0, n).Select(i => Quote($"k{i}"))) + "]"),
        Gen.Int[257, 300].Select(n => "[" + Quote(new string('k', n)) + "]"));

    private static readonly Gen<string> ValidExpiry = Gen.Int[1, 3_540].Select(s => Quote(Api.Time(Api.Epoch.AddSeconds(s))));

    private static readonly Gen<string> BadTimeNotNull = Pick(
        "\"yesterday\"", "\"2026-03-10T13:00:00\"", "\"2026-03-10\"", "\"2026-03-10T13:00:00+0000\"", "\"0001-01-01T00:00:00+00:00\"",
        "\"1969-12-31T23:59:59Z\"", "\"9999-12-31T23:59:59Z\"", "\"9000-01-01T00:00:01Z\"", "\"\"", "\"2026-13-01T00:00:00Z\"", "1773147600", "true", "[]", "{}");

    // The service's clock is Api.Epoch; a reservation may hold for BudgetServer:MaxReservationDuration (1 hour).
    private static readonly Gen<string> BadExpiry = Either(
        BadTimeNotNull,
        Pick("null"),
        Gen.Int[0, 1_000_000].Select(s => Quote(Api.Time(Api.Epoch.AddSeconds(-s)))),
        Gen.Int[3_601, 10_000_000].Select(s => Quote(Api.Time(Api.Epoch.AddSeconds(s)))));

    private static readonly Gen<string> ValidPeriod = Pick("\"none\"", "\"minutely\"", "\"Hourly\"", "\"daily\"", "\"Weekly\"", "\"MONTHLY\"", "\"yearly\"", "null");

    private static readonly Gen<string> BadPeriod = Pick("\"fortnightly\"", "\"minute\"", "\"hourlyy\"", "\"monthy\"", "\"\"", "\"\\ud800\"", "1", "0", "true", "[]", "{}");

    private static readonly Gen<string> BadAlignment = Pick("\"lunar\"", "\"calendars\"", "\"roll\"", "\"\"", "1", "false", "[\"rolling\"]", "{}");

    private static readonly Gen<string> BadThresholds = Either(
        Pick("[0]", "[-0.5]", "[1000.01]", "[0.8, 0]", "[\"0.8\"]", "[null]", "[1e40]", "0.8", "{}", "\"0.8\"", "[[0.8]]"),
        Gen.Int[17, 30].Select(n => "[" + string.Join(", ", Enumerable.Range(1, n).Select(i => Api.Money(i / 100m))) + "]"));

    // Tokens are whole numbers from 0 to BudgetUsage.MaxTokens; null is left out.
    private static readonly Gen<string> ValidTokens = Either(Gen.Int[0, 2_000_000].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Pick("1e3", "250.0", "null"));

    private static readonly Gen<string> BadTokens = Either(
        Pick("-1", "1.5", "0.1", "-0.5", "1000000000001", "1e13", "1e400", "\"5\"", "\"\"", "true", "[]", "[5]", "{}", "NaN"),
        Gen.Int[1, 999].Select(i => "10." + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static readonly Gen<string> ValidObserve = Pick("true", "false", "null");

    private static readonly Gen<string> BadObserve = Pick("\"true\"", "\"yes\"", "1", "0", "[]", "{}", "\"\"");

    private static readonly Gen<string> ValidEnforcement = Pick("\"enforce\"", "\"observe\"", "\"Observe\"", "null");

    private static readonly Gen<string> BadEnforcement = Pick("\"warn\"", "\"observing\"", "\"\"", "1", "0", "true", "[]", "{}");

    // Names of a limit; the main limit's (limitName) never meets one of the valid other limits' names below.
    private static readonly Gen<string> ValidLimitName = Pick("\"team budget\"", "\"main\"", "null");

    private static readonly Gen<string> BadLimitName = Either(
        Pick("\"\"", "\" \"", "\" main\"", "\"main \"", "\"\\t\"", "\"\\ud800\"", Quote("ma" + NotUtf8 + "in"), "1", "true", "[]", "{}"),
        Gen.Int[201, 260].Select(n => Quote(new string('n', n))));

    private static readonly Gen<string> ValidModels = Pick("[]", "[\"gpt-4o\"]", "[\"gpt-4o\", \"claude-opus-*\"]", "[\"o3\", \"O3\"]", "null");

    private static readonly Gen<string> BadModels = Either(
        Pick("[\"*\"]", "[\"a*b\"]", "[\"**\"]", "[\"*gpt\"]", "[\"\"]", "[\" \"]", "[\" gpt-4o\"]", "[\"gpt-4o\", null]", "[1]", "[[\"gpt-4o\"]]", "\"gpt-4o\"", "{}", "5",
            "[\"\\ud800\"]", "[" + Quote("gpt" + NotUtf8) + "]"),
        Gen.Int[65, 90].Select(n => "[" + string.Join(", ", Enumerable.Range(0, n).Select(i => Quote($"model-{i}"))) + "]"),
        Gen.Int[201, 260].Select(n => "[" + Quote(new string('m', n)) + "]"));

    private static readonly Gen<string> ValidUnit = Pick("\"dollars\"", "\"Dollars\"", "null");

    private static readonly Gen<string> BadUnit = Pick("\"euros\"", "\"token\"", "\"\"", "1", "true", "[]", "{}");

    private static readonly Gen<string> UnknownName = Either(
        Pick("modle", "extra", "ReservationId", "Amount", "LIMIT", "limt", "project", "__proto__", "$type", "", " ", "max_budget", "totalBudget", "user"),
        Alnum.Select(s => "x_" + s));

    // ---------------------------------------------------------------- shapes

    // One of a definition's other limits; only its invalid forms are used (among valid limits named "ok 0", "ok 1", ...).
    private static readonly Shape Limit = new(
        new Field("amount", true, ValidMoney, BadMoney),
        new Field("unit", false, ValidUnit, BadUnit),
        new Field("period", false, ValidPeriod, BadPeriod),
        new Field("alignment", false, Pick("\"calendar\"", "\"rolling\"", "null"), BadAlignment),
        new Field("models", false, ValidModels, BadModels),
        new Field("name", false, Pick("\"premium\"", "null"), BadLimitName));

    // Valid limits after the main one. Their names never meet a main limit's (its period's, or limitName's): a dollar
    // limit here is named, or applies to some models only.

    private static readonly Gen<string> ValidLimits = Pick(
        "[]",
        "null",
        """[{ "amount": 100000, "unit": "tokens", "period": "minutely" }]""",
        """[{ "amount": 2.5, "period": "daily", "models": ["gpt-4o", "claude-opus-*"], "name": "premium" }, { "amount": 60, "unit": "requests", "period": "hourly", "alignment": "rolling" }]""",
        """[{ "amount": 5, "unit": "dollars", "period": "weekly", "alignment": "calendar", "models": [], "name": "weekly cap" }, { "amount": 1e6, "unit": "Tokens", "models": ["o3"] }]""");

    private static readonly Gen<string> BadLimits = Either(
        Pick(
            "{}", "\"daily\"", "5", "true", "[null]", "[5]", "[\"premium\"]", "[[]]",
            """[{ "amount": 1.5, "unit": "tokens", "period": "minutely" }]""",
            """[{ "amount": 10.25, "unit": "requests", "period": "hourly" }]""",
            """[{ "amount": 1, "name": "a" }, { "amount": 2, "name": "a" }]""",
            """[{ "amount": 1, "unit": "tokens", "period": "daily" }, { "amount": 2, "unit": "tokens", "period": "daily" }]""",
            """[{ "amount": 1, "models": ["gpt-4o"] }, { "amount": 2, "models": ["gpt-4o"] }]"""),

        // Too many: a budget has at most BudgetDefinition.MaxLimits, the main one included.
        Gen.Int[16, 20].Select(n => "[" + string.Join(", ", Enumerable.Range(0, n).Select(i => $$"""{ "amount": {{i}}, "name": "limit {{i}}" }""")) + "]"),

        // A limit with a fault of its own, among valid ones.
        Gen.Select(Limit.Invalid, Gen.Int[0, 2], (bad, at) => "[" + string.Join(", ", Enumerable.Range(0, 3).Select(i => i == at ? bad : $$"""{ "amount": {{i}}, "name": "ok {{i}}" }""")) + "]"));

    private static readonly Shape Definition = new(
        new Field("limit", true, ValidMoney, BadMoney),
        new Field("period", false, ValidPeriod, BadPeriod),
        new Field("alignment", false, Pick("\"calendar\"", "\"rolling\"", "null"), BadAlignment),
        new Field("alertThresholds", false, Pick("[]", "[0.8]", "[0.5, 1]", "null"), BadThresholds),
        new Field("limitName", false, ValidLimitName, BadLimitName),
        new Field("limits", false, ValidLimits, BadLimits),
        new Field("enforcement", false, ValidEnforcement, BadEnforcement));

    private static readonly Shape SetBudget = new(
        new Field("definition", true, Definition.Valid, Either(Definition.Invalid, Pick("5", "\"monthly\"", "[]", "null", "true"))),
        new Field("createdAt", false, Pick("\"2026-03-01T00:00:00+00:00\"", "null"), BadTimeNotNull));

    private static readonly Shape Reserve = new(
        new Field("reservationId", true, ValidId, BadId),
        new Field("keys", true, ValidKeys, BadKeys),
        new Field("amount", true, ValidMoney, BadMoney),
        new Field("expiresAt", true, ValidExpiry, BadExpiry),
        new Field("tokens", false, ValidTokens, BadTokens),
        new Field("model", false, Pick("\"gpt-4o\"", "null"), BadIdNotNull),
        new Field("observe", false, ValidObserve, BadObserve));

    // ---------------------------------------------------------------- the spend ledger

    private static readonly Gen<string> ValidRecordText = Pick("\"alice\"", "\"gpt-4o\"", "\"=1+1\"", "\"a, \\\"quoted\\\" text\"", "null");

    private static readonly Gen<string> BadRecordText = Either(
        Pick("\"\"", "\" \"", "\"\\t\"", "1", "true", "[]", "{}", "\"\\ud800\"", Quote("al" + NotUtf8 + "ice")),
        Gen.Int[1025, 1100].Select(n => Quote(new string('u', n))));

    private static readonly Gen<string> ValidMarks = Pick("[]", "[\"reduced\"]", "[\"Downgraded\", \"would_refuse\"]", "null");

    private static readonly Gen<string> BadMarks = Pick("[\"sideways\"]", "[\"reduced\", \"reduced\"]", "\"reduced\"", "[1]", "[null]", "{}", "5", "[\"\"]");

    private static readonly Gen<string> ValidMaxOutput = Pick("1", "512", "2147483647", "null");

    private static readonly Gen<string> BadMaxOutput = Pick("0", "-1", "1.5", "2147483648", "\"5\"", "true", "[]", "{}");

    private static readonly Gen<string> ValidDuration = Pick("0", "1234.5", "0.0001", "1e3", "null");

    private static readonly Gen<string> BadDuration = Pick("-1", "-0.5", "1e13", "1000000000001", "\"5\"", "true", "[]", "{}");

    private static readonly Field[] CallDetails =
    [
        new Field("user", false, ValidRecordText, BadRecordText),
        new Field("requestedModel", false, ValidRecordText, BadRecordText),
        new Field("inputTokens", false, ValidTokens, BadTokens),
        new Field("cachedInputTokens", false, ValidTokens, BadTokens),
        new Field("outputTokens", false, ValidTokens, BadTokens),
        new Field("reasoningTokens", false, ValidTokens, BadTokens),
        new Field("marks", false, ValidMarks, BadMarks),
        new Field("reason", false, ValidRecordText, BadRecordText),
        new Field("refusedKey", false, ValidRecordText, BadRecordText),
        new Field("refusedWindow", false, ValidRecordText, BadRecordText),
        new Field("maxOutputTokens", false, ValidMaxOutput, BadMaxOutput),
        new Field("durationMs", false, ValidDuration, BadDuration),
        new Field("traceId", false, ValidRecordText, BadRecordText),
    ];

    // The details of a settle or charge (its 'record'): charged or estimated only.
    private static readonly Shape SpendDetails = new([
        .. CallDetails,
        new Field("outcome", false, Pick("\"charged\"", "\"Estimated\"", "null"), Pick("\"refused\"", "\"released\"", "\"reset\"", "\"adjusted\"", "\"lost\"", "\"\"", "1", "true", "[]"))]);

    private static readonly Gen<string> ValidRecord = Either(SpendDetails.Valid, Pick("null"));

    private static readonly Gen<string> BadRecord = Either(SpendDetails.Invalid, Pick("5", "\"alice\"", "[]", "true"));

    // POST .../spend: a refused or released call.
    private static readonly Shape AppendSpend = new([
        new Field("keys", true, ValidKeys, BadKeys),
        new Field("outcome", true, Pick("\"refused\"", "\"Released\""), Pick("\"charged\"", "\"estimated\"", "\"reset\"", "\"adjusted\"", "\"lost\"", "null", "1", "[]")),
        new Field("id", false, Either(ValidId, Pick("null")), BadIdNotNull),
        new Field("time", false, Pick("\"2026-03-10T11:00:00Z\"", "null"), BadTimeNotNull),
        new Field("model", false, Pick("\"gpt-4o\"", "null"), BadIdNotNull),
        new Field("tokens", false, ValidTokens, BadTokens),
        new Field("held", false, Either(ValidMoney, Pick("null")), BadMoneyNotNull),
        .. CallDetails]);

    private static readonly Gen<string> ValidSpendQuery = Pick(string.Empty, "?groupBy=user", "?limit=5&order=oldest", "?outcome=refused&format=csv", "?from=2026-03-01&to=2026-04-01&key=global");

    private static readonly Gen<string> BadSpendQuery = Either(
        Pick("?limit=0", "?limit=10001", "?limit=x", "?limit=", "?from=yesterday", "?to=2026-03-10T12:00:00", "?from=2026-03-11&to=2026-03-10", "?to=1969-12-31",
            "?before=-1", "?after=1.5", "?order=up", "?format=xml", "?groupBy=week", "?groupBy=", "?outcome=lost", "?outcome=charged&outcome=refused",
            "?user=%20", "?user=", "?user=a&user=b", "?form=2026-03-01", "?key=", "?user=%FF", "?model=gpt%C3"),
        Gen.Int[257, 300].Select(n => "?model=" + new string('m', n)),
        Gen.Int[1025, 1100].Select(n => "?user=" + new string('u', n)));

    private static readonly Shape Settle = new(
        new Field("reservationId", true, ValidId, BadId),
        new Field("actualCost", true, ValidMoney, BadMoney),
        new Field("model", false, Pick("\"gpt-4o\"", "null"), BadIdNotNull),
        new Field("tokens", false, ValidTokens, BadTokens),
        new Field("record", false, ValidRecord, BadRecord));

    private static readonly Shape Release = new(new Field("reservationId", true, ValidId, BadId));

    private static readonly Shape Renew = new(
        new Field("reservationId", true, ValidId, BadId),
        new Field("expiresAt", true, ValidExpiry, BadExpiry));

    private static readonly Shape Charge = new(
        new Field("chargeId", true, ValidId, BadId),
        new Field("keys", true, ValidKeys, BadKeys),
        new Field("amount", true, ValidMoney, BadMoney),
        new Field("model", false, Pick("\"gpt-4o\"", "null"), BadIdNotNull),
        new Field("tokens", false, ValidTokens, BadTokens),
        new Field("record", false, ValidRecord, BadRecord));

    private static readonly Gen<string> BadProjectName = Either(
        Pick("\"\"", "\"   \"", "\"ac\\u0001me\"", "\"acme\\n\"", "\"\\ud800\"", Quote("ac" + NotUtf8 + "me"), "7", "null", "true", "[\"acme\"]", "{}"),
        Gen.Int[129, 200].Select(n => Quote(new string('p', n))));

    private static readonly Shape GetBudget = new(new Field("project_name", true, Pick("\"acme\""), BadProjectName));

    private static readonly Shape ModelCost = Shape.Dictionary(
        Pick("gpt-4o", "gpt-4o-mini", "claude"),
        ValidMoney,
        Either(Pick("", " ", "\\ud800", "m" + NotUtf8), Gen.Int[257, 300].Select(n => new string('m', n))),
        BadMoney);

    private static readonly Shape UserEntry = new(
        new Field("total_budget", true, ValidMoney, BadMoney),
        new Field("duration", false, Pick("1", "7", "28", "30", "365", "0.041666666666666664", "0.0006944444444444445", "\"daily\"", "\"MONTHLY\"", "null"),
            Pick("10", "0", "-1", "2", "1.5", "0.04", "0.0007", "1e40", "\"fortnightly\"", "\"hourly\"", "\"\"", "\"28\"", "true", "[]", "{}")),
        new Field("created_at", false, Pick("1772323200", "1772323200.5", "null"),
            Pick("-5", "-0.001", "1e20", "253402300800", "\"1772323200\"", "\"2026-03-01T00:00:00Z\"", "true", "[]", "{}")),
        new Field("last_updated_at", false, Pick("1773100800", "null"), Pick("-1", "1e30", "\"yesterday\"", "false", "[1]")),
        new Field("current_cost", false, Pick("0", "0.25", "null"), BadMoneyNotNull),
        new Field("model_cost", false, Either(ModelCost.Valid, Pick("null")), Either(ModelCost.Invalid, Pick("[]", "5", "\"gpt-4o\"", "true"))));

    private static readonly Shape UserDict = Shape.Dictionary(
        Pick("alice", "bob", "carol", "u1", "team"),
        UserEntry.Valid,
        Either(Pick("", " ", "\\t", "\\ud800", "al" + NotUtf8 + "ice"), Gen.Int[252, 300].Select(n => new string('u', n))),
        Either(UserEntry.Invalid, Pick("5", "\"alice\"", "[]", "null", "true")));

    private static readonly Shape SetBudgetLiteLlm = new(
        new Field("project_name", true, Pick("\"acme\""), BadProjectName),
        new Field("user_dict", true, UserDict.Valid, Either(UserDict.Invalid, Pick("[]", "5", "\"alice\"", "null"))));

    // ---------------------------------------------------------------- requests

    /// <summary>The generator of one route's bad requests; <paramref name="open"/> for a service without API keys (no caller to get wrong, every project allowed).</summary>
    public static Gen<CorpusRequest> For(string route, bool open)
    {
        (Fault[] faults, bool adminOnly, Shape? body) = Describe(route);
        if (open)
        {
            faults = [.. faults.Where(f => f is not Fault.Caller and not Fault.State || (f == Fault.State && !route.Contains("_budget", StringComparison.Ordinal)))];
        }

        // One fault for sure, each other one now and then. A wrong caller or content type is refused before the body is
        // read, so those come less often, and faults of the body more.
        Gen<Fault> first = Gen.Frequency([.. faults.Select(f => (Weight(f), Gen.Const(f)))]);
        Gen<Fault[]> chosen = Gen.Select(first, Gen.Int[0, 9].Array[faults.Length], (one, dice) =>
            faults.Where((f, i) => f == one || dice[i] == 0).ToArray());
        return chosen.SelectMany(set => Build(route, set, adminOnly, body, open));
    }

    private static Gen<CorpusRequest> Build(string route, Fault[] faults, bool adminOnly, Shape? shape, bool open)
    {
        string[] parts = route.Split(' ');
        string method = parts[0];
        string pattern = parts[1].TrimStart('/');
        bool has(Fault f) => faults.Contains(f);

        // Another project's key is not a fault for a body that names that project (the LiteLLM routes' state faults),
        // nor for /v1/sweep, which an admin key of any project may ask for.
        CorpusCaller[] wrongCallers = (has(Fault.State) && (shape == GetBudget || shape == SetBudgetLiteLlm)) || route == "POST /v1/sweep"
            ? [CorpusCaller.None, CorpusCaller.WrongKey]
            : [CorpusCaller.None, CorpusCaller.WrongKey, CorpusCaller.OtherProject];
        Gen<CorpusCaller> caller = has(Fault.Caller)
            ? adminOnly ? Pick([CorpusCaller.Enforce, .. wrongCallers]) : Pick(wrongCallers)
            : open ? Gen.Const(CorpusCaller.None) : adminOnly ? Gen.Const(CorpusCaller.Admin) : Pick(CorpusCaller.Admin, CorpusCaller.Admin, CorpusCaller.Enforce);

        Gen<string> project = has(Fault.Project)
            ? Either(Pick("%20", "%09", "ac%01me", "acme%0A", "a%7Fb", "%FF", "ac%C3me"), Gen.Int[129, 200].Select(n => new string('p', n)), open ? Pick("%20") : Pick("ACME", "acme%20", "acm"))
            : Gen.Const("acme");

        bool spendQuery = route == "GET /v1/projects/{project}/spend";
        Gen<string> query = spendQuery ? (has(Fault.Query) ? BadSpendQuery : ValidSpendQuery)
            : has(Fault.Query)
            ? Either(
                Pick(string.Empty, "?key=", "?key", "?key=%20", "?key=%09%20%0A", "?key=global&key=team%3Ax", "?key=a&key=a", "?other=global", "?keys=global", "?key=%FF", "?key=user%3A%ED%A0%80", "?key=global%C3"),
                Gen.Int[257, 400].Select(n => "?key=" + new string('k', n)))
            : has(Fault.UnknownKey) ? Alnum.Select(s => "?key=nobudget%3A" + s)
            : Pick("?key=global", "?key=user%3Aalice", "?key=team%3Ax");

        Gen<string?> contentType = has(Fault.ContentType)
            ? Pick<string?>(null, "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "application/json; charset=utf-16",
                "application/json; charset=iso-8859-1", "text/json", "application/jsonl", "application/problem+json", "multipart/form-data; boundary=x")
            : Pick<string?>("application/json", "application/json; charset=utf-8", "Application/JSON");

        Gen<(string? Text, string Kinds)> body =
            has(Fault.Oversize) ? Gen.Int[65_537, 90_000].Select(n => ((string?)$$"""{ "chargeId": "c-big", "keys": ["global"], "amount": 0.1, "model": "{{new string('m', n)}}" }""", "oversize"))
            : has(Fault.State) ? StateBody(route).Select(b => ((string?)b, "state"))
            : shape is null ? has(Fault.ContentType) ? Pick(((string?)"{}", string.Empty), ("reservationId=r", string.Empty), ("x", string.Empty)) : Gen.Const(((string?)null, string.Empty))
            : has(Fault.Body) ? TopLevel(shape).Select(b => ((string?)b.Text, b.Kinds))
            : shape.Valid.Select(b => ((string?)b, string.Empty));

        return Gen.Select(caller, project, query, contentType, body, Gen.Int[0, 3], (who, p, q, type, b, chunk) =>
        {
            string path = pattern.Replace("{project}", p, StringComparison.Ordinal);
            if (spendQuery || has(Fault.Query) || has(Fault.UnknownKey) || route.EndsWith("/budget", StringComparison.Ordinal) || route.EndsWith("/reset", StringComparison.Ordinal) || route.EndsWith("get-or-create", StringComparison.Ordinal))
            {
                path += q;
            }

            byte[]? bytes = b.Text is null ? null : Encode(b.Text);

            // A request with a wrong content type must have a body, else there is nothing to refuse.
            if (has(Fault.ContentType) && (bytes is null || bytes.Length == 0))
            {
                bytes = "{}"u8.ToArray();
            }

            string kinds = string.Join("+", faults.Select(f => f == Fault.Body ? "body(" + b.Kinds + ")" : f.ToString()));
            return new CorpusRequest(route, method, path, bytes, bytes is null ? null : type, has(Fault.Oversize) && chunk == 0, who, kinds);
        });
    }

    private static int Weight(Fault fault) => fault switch
    {
        Fault.Body => 8,
        Fault.State or Fault.Query => 3,
        Fault.UnknownKey or Fault.Project => 2,
        _ => 1,
    };

    private static (Fault[] Faults, bool AdminOnly, Shape? Body) Describe(string route) => route switch
    {
        "GET /v1/projects/{project}/budgets" => ([Fault.Caller, Fault.Project, Fault.ContentType], false, null),
        "GET /v1/projects/{project}/budget" => ([Fault.Caller, Fault.Project, Fault.ContentType, Fault.Query, Fault.UnknownKey], false, null),
        "PUT /v1/projects/{project}/budget" => ([Fault.Caller, Fault.Project, Fault.ContentType, Fault.Query, Fault.Body, Fault.Oversize], true, SetBudget),
        "POST /v1/projects/{project}/budget/get-or-create" => ([Fault.Caller, Fault.Project, Fault.ContentType, Fault.Query, Fault.Body, Fault.Oversize], false, Definition),
        "DELETE /v1/projects/{project}/budget" => ([Fault.Caller, Fault.Project, Fault.ContentType, Fault.Query, Fault.UnknownKey], true, null),
        "POST /v1/projects/{project}/budget/reset" => ([Fault.Caller, Fault.Project, Fault.ContentType, Fault.Query, Fault.UnknownKey], true, null),
        "POST /v1/projects/{project}/reservations" => ([Fault.Caller, Fault.Project, Fault.ContentType, Fault.Body, Fault.Oversize, Fault.State], false, Reserve),
        "POST /v1/projects/{project}/reservations/settle" => ([Fault.Caller, Fault.Project, Fault.ContentType, Fault.Body, Fault.Oversize, Fault.State], false, Settle),
        "POST /v1/projects/{project}/reservations/release" => ([Fault.Caller, Fault.Project, Fault.ContentType, Fault.Body, Fault.Oversize, Fault.State], false, Release),
        "POST /v1/projects/{project}/reservations/renew" => ([Fault.Caller, Fault.Project, Fault.ContentType, Fault.Body, Fault.Oversize, Fault.State], false, Renew),
        "POST /v1/projects/{project}/charges" => ([Fault.Caller, Fault.Project, Fault.ContentType, Fault.Body, Fault.Oversize, Fault.State], false, Charge),
        "POST /v1/projects/{project}/sweep" => ([Fault.Caller, Fault.Project, Fault.ContentType], true, null),
        "POST /v1/sweep" => ([Fault.Caller, Fault.ContentType], true, null),
        "GET /v1/projects/{project}/spend" => ([Fault.Caller, Fault.Project, Fault.ContentType, Fault.Query], false, null),
        "POST /v1/projects/{project}/spend" => ([Fault.Caller, Fault.Project, Fault.ContentType, Fault.Body, Fault.Oversize], false, AppendSpend),
        "POST /get_budget" => ([Fault.Caller, Fault.ContentType, Fault.Body, Fault.Oversize, Fault.State], false, GetBudget),
        "POST /set_budget" => ([Fault.Caller, Fault.ContentType, Fault.Body, Fault.Oversize, Fault.State], true, SetBudgetLiteLlm),
        _ => throw new ArgumentOutOfRangeException(nameof(route), route, "Not a route of the corpus."),
    };

    /// <summary>A well-formed body that the seeded state refuses: an id used otherwise (409) or unknown (404), a key without a budget, another project.</summary>
    private static Gen<string> StateBody(string route) => route switch
    {
        "POST /v1/projects/{project}/reservations" => Gen.Select(Pick("r-settled", "r-released", "c-done", "r-active"), ValidExpiry, Gen.Int[1, 40], (id, expiry, cents) =>
            id == "r-active"
                ? $$"""{ "reservationId": "r-active", "keys": ["global", "user:alice"], "amount": {{Api.Money(cents == 50 ? 0.49m : cents / 100m)}}, "expiresAt": {{expiry}} }"""
                : $$"""{ "reservationId": "{{id}}", "keys": ["global"], "amount": {{Api.Money(cents / 100m)}}, "expiresAt": {{expiry}} }"""),
        "POST /v1/projects/{project}/reservations/settle" => Gen.Select(Either(Pick("r-released", "c-done", "r-settled"), Alnum.Select(s => "ghost-" + s)), Gen.Int[0, 40], (id, cents) =>
            $$"""{ "reservationId": "{{id}}", "actualCost": {{Api.Money(id == "r-settled" && cents == 15 ? 0.16m : cents / 100m)}} }"""),
        "POST /v1/projects/{project}/reservations/release" => Either(Pick("r-settled", "c-done"), Alnum.Select(s => "ghost-" + s)).Select(id => $$"""{ "reservationId": "{{id}}" }"""),
        "POST /v1/projects/{project}/reservations/renew" => Gen.Select(Alnum, ValidExpiry, (s, expiry) => $$"""{ "reservationId": "ghost-{{s}}", "expiresAt": {{expiry}} }"""),
        "POST /v1/projects/{project}/charges" => Either(
            Gen.Select(Pick("r-active", "r-settled", "r-released"), ValidMoney, (id, amount) => $$"""{ "chargeId": "{{id}}", "keys": ["global"], "amount": {{amount}} }"""),
            Gen.Int[1, 40].Select(cents => $$"""{ "chargeId": "c-done", "keys": ["global", "team:x"], "amount": {{Api.Money(cents == 10 ? 0.11m : cents / 100m)}}, "model": "gpt-4o-mini" }"""),
            Gen.Select(Alnum, ValidKeys, (s, keys) => $$"""{ "chargeId": "c-new-{{s}}", "keys": {{keys.Replace("]", $", \"nobudget:{s}\"]", StringComparison.Ordinal)}}, "amount": 0.01 }""")),

        // With the admin key of acme, another project in the body is refused (403) before anything is read or written.
        "POST /get_budget" => Pick("""{ "project_name": "globex" }""", """{ "project_name": "ACME" }"""),
        "POST /set_budget" => UserDict.Valid.Select(users => $$"""{ "project_name": "globex", "user_dict": {{users}} }"""),
        _ => throw new ArgumentOutOfRangeException(nameof(route), route, "The route has no state to conflict with."),
    };

    /// <summary>A body of the shape with at least one fault: in its members, or in its syntax.</summary>
    private static Gen<(string Text, string Kinds)> TopLevel(Shape shape) => Gen.Int[0, 3].SelectMany(kind => kind switch
    {
        0 => Gen.Select(shape.Valid, Gen.Int[0, 1_000_000], (text, cut) => (text[..(cut % text.Length)], "truncated")),
        1 => Gen.Select(Either(shape.Valid, shape.Invalid), Pick(" x", "}", "{}", ",", " /* */", "\u0000"), (text, tail) => (text + tail, "trailing")),
        2 => Either(
            Pick(("", "empty"), ("   ", "blank"), ("[]", "root"), ("[{}]", "root"), ("\"{}\"", "root"), ("0", "root"), ("null", "root"), ("true", "root"), ("{'a': 1}", "syntax"), ("{a: 1}", "syntax")),
            shape.Valid.Select(text => ("/* c */" + text, "comment")),
            shape.Valid.Select(text => (text.Length > 2 ? text[..^1] + ", }" : "{,}", "trailing comma"))),
        _ => shape.Invalid.Select(text => (text, "members")),
    });

    private static byte[] Encode(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        byte[] marker = Encoding.UTF8.GetBytes(NotUtf8.ToString());
        var bytes = new List<byte>(utf8.Length);
        for (int i = 0; i < utf8.Length; i++)
        {
            if (utf8.AsSpan(i).StartsWith(marker))
            {
                bytes.Add(0xFF);
                i += marker.Length - 1;
            }
            else
            {
                bytes.Add(utf8[i]);
            }
        }

        return [.. bytes];
    }

    private static string Quote(string text) => "\"" + text + "\"";

    private static Gen<T> Pick<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static Gen<T> Either<T>(params Gen<T>[] gens) => Gen.Int[0, gens.Length - 1].SelectMany(i => gens[i]);

    /// <summary>A member of an object: its valid values and values the service refuses.</summary>
    private sealed record Field(string Name, bool Required, Gen<string> Good, Gen<string> Bad);

    /// <summary>A JSON object of the contract (members by name) or a dictionary (any names), as valid and invalid text.</summary>
    private sealed class Shape
    {
        public Shape(params Field[] fields)
        {
            Valid = Members(fields, faults: 0);
            Invalid = Gen.Int[1, 3].SelectMany(n => Members(fields, n));
        }

        private Shape(Gen<string> valid, Gen<string> invalid)
        {
            Valid = valid;
            Invalid = invalid;
        }

        public Gen<string> Valid { get; }

        public Gen<string> Invalid { get; }

        /// <summary>A dictionary: distinct good names with good values; invalid with a bad name, a bad value, a repeated name, or two names the service takes as one.</summary>
        public static Shape Dictionary(Gen<string> goodName, Gen<string> goodValue, Gen<string> badName, Gen<string> badValue, (string, string)[]? collisions = null)
        {
            Gen<List<(string Name, string Value)>> entries = Gen.Select(goodName, goodValue).Array[0, 3]
                .Select(pairs => pairs.DistinctBy(p => p.Item1).Select(p => (p.Item1, p.Item2)).ToList());
            Gen<string> valid = entries.Select(Write);

            var faults = new List<Gen<string>>
            {
                Gen.Select(entries, badName, goodValue, Gen.Int[0, 3], (list, name, value, at) => Write(Insert(list, at, (name, value)))),
                Gen.Select(entries, goodName, badValue, Gen.Int[0, 3], (list, name, value, at) => Write(Insert(list.Where(p => p.Name != name).ToList(), at, (name, value)))),
                Gen.Select(entries, goodName, goodValue, (list, name, value) => Write([.. list, (name, value), (name, value)])),
            };
            if (collisions is { Length: > 0 })
            {
                faults.Add(Gen.Select(Pick(collisions), goodValue, goodValue, (pair, a, b) => Write([(pair.Item1, a), (pair.Item2, b)])));
            }

            return new Shape(valid, Either([.. faults]));
        }

        private static List<(string Name, string Value)> Insert(List<(string Name, string Value)> list, int at, (string, string) entry)
        {
            list.Insert(Math.Min(at, list.Count), entry);
            return list;
        }

        private static string Write(IEnumerable<(string Name, string Value)> members) =>
            "{" + string.Join(", ", members.Select(m => $"\"{m.Name}\": {m.Value}")) + "}";

        // Starts from a valid object (required members, each optional one or not) and applies `faults` faults; each is
        // enough to refuse the object, and none undoes another (a removed member is removed with its repeats).
        private static Gen<string> Members(Field[] fields, int faults)
        {
            Gen<string[]> good = All(fields.Select(f => f.Good));
            Gen<string[]> bad = All(fields.Select(f => f.Bad));
            Gen<bool[]> present = Gen.Bool.Array[fields.Length];
            Gen<(int Kind, int Target)[]> steps = Gen.Select(Gen.Int[0, 3], Gen.Int[0, fields.Length - 1]).Array[faults];
            Gen<string[]> unknown = UnknownName.Array[faults];
            Gen<int> order = Gen.Int[0, 1000];
            return Gen.Select(good, bad, present, steps, unknown, order, (goodValues, badValues, include, plan, names, rotate) =>
            {
                var members = new List<(string Name, string Value)>();
                for (int i = 0; i < fields.Length; i++)
                {
                    if (fields[i].Required || include[i])
                    {
                        members.Add((fields[i].Name, goodValues[i]));
                    }
                }

                string[] required = [.. fields.Where(f => f.Required).Select(f => f.Name)];
                for (int s = 0; s < plan.Length; s++)
                {
                    (int kind, int target) = plan[s];
                    Field field = fields[target];
                    switch (kind)
                    {
                        case 0:
                            members.RemoveAll(m => m.Name == field.Name);
                            members.Add((field.Name, badValues[target]));
                            break;
                        case 1 when required.Length > 0:
                            string missing = required[target % required.Length];
                            members.RemoveAll(m => m.Name == missing);
                            break;
                        case 2 when members.Count > 0:
                            (string Name, string Value) twice = members[target % members.Count];
                            members.Add((twice.Name, twice.Value));
                            break;
                        default:
                            string name = fields.Any(f => f.Name == names[s]) ? "x_" + names[s] : names[s];
                            members.Add((name, goodValues[target]));
                            break;
                    }
                }

                // Member order does not matter to the contract; vary it.
                int shift = members.Count == 0 ? 0 : rotate % members.Count;
                return Write([.. members.Skip(shift), .. members.Take(shift)]);
            });
        }

        private static Gen<string[]> All(IEnumerable<Gen<string>> gens) =>
            gens.Aggregate(Gen.Const(Array.Empty<string>()), (all, gen) => all.SelectMany(values => gen.Select(value => (string[])[.. values, value])));
    }
}
