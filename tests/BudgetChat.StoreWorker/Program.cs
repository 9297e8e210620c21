using System.Globalization;
using BudgetChat;
using BudgetChat.Http;
using BudgetChat.Sqlite;

// Usage: BudgetChat.StoreWorker <sqlite:directory | budget service URL> <project> <worker> <operations> <go-file>
//
// sqlite:directory means a SqliteBudgetStore on budgets.db there; an http(s) URL a HostedBudgetStore on that budget
// service (API key from BUDGETCHAT_API_KEY).
//
// Waits for <go-file> so that every worker starts charging at the same time, then makes <operations> calls on the
// "global" budget of <project>: mostly reserve 0.05 and settle 0.01 to 0.05 (model "reserved"), and every tenth a
// plain charge of 0.01 (model "plain"). Prints one line: admitted=, refused=, settled=, charged=. Exit code 0 unless
// a call returned something the contract rules out.
//
// BudgetChat.StoreWorker crash ...: the crash test's worker (CrashWorker.cs).
if (args.Length > 0 && args[0] == "crash")
{
    return await CrashWorker.RunAsync(args[1..]);
}

if (args.Length != 5)
{
    Console.Error.WriteLine("usage: BudgetChat.StoreWorker <sqlite:directory | url> <project> <worker> <operations> <go-file>");
    return 64;
}

string directory = args[0];
string project = args[1];
int worker = int.Parse(args[2], CultureInfo.InvariantCulture);
int operations = int.Parse(args[3], CultureInfo.InvariantCulture);
string goFile = args[4];

DateTimeOffset giveUp = TimeProvider.System.GetUtcNow().AddMinutes(2);
while (!File.Exists(goFile))
{
    if (TimeProvider.System.GetUtcNow() > giveUp)
    {
        Console.Error.WriteLine("The go file never appeared.");
        return 65;
    }

    Thread.Sleep(1);
}

int admitted = 0;
int refused = 0;
decimal settled = 0m;
decimal charged = 0m;
IBudgetStore store = directory.StartsWith("sqlite:", StringComparison.Ordinal)
    ? new SqliteBudgetStore(new SqliteBudgetStoreOptions { DataDirectory = directory["sqlite:".Length..] })
    : Uri.TryCreate(directory, UriKind.Absolute, out Uri? url) && url.Scheme.StartsWith("http", StringComparison.Ordinal)
        ? HostedBudgetStore.Create(url)
        : throw new ArgumentException($"Not a store: '{directory}'. Use sqlite:<directory> or a budget service URL.");
using (store as IDisposable)
{
    for (int i = 0; i < operations; i++)
    {
        if (i % 10 == 9)
        {
            BudgetCompletion charge = await store.ChargeAsync(project, ["global"], 0.01m, "plain", $"w{worker}-c{i}");
            if (charge.Status != BudgetCompletionStatus.Completed)
            {
                Console.Error.WriteLine($"Charge {i} reported {charge.Status}.");
                return 2;
            }

            charged += 0.01m;
            continue;
        }

        string id = $"w{worker}-r{i}";
        BudgetReservationResult reservation = await store.ReserveAsync(project, ["global"], 0.05m, id, TimeProvider.System.GetUtcNow().AddHours(1));
        if (!reservation.IsReserved)
        {
            if (reservation.Status != BudgetReservationStatus.InsufficientBudget)
            {
                Console.Error.WriteLine($"Reservation {i} reported {reservation.Status}.");
                return 3;
            }

            refused++;
            continue;
        }

        admitted++;
        decimal cost = 0.01m * (1 + (i % 5));
        BudgetCompletion settlement = await store.SettleAsync(project, id, cost, "reserved");
        if (settlement.Status != BudgetCompletionStatus.Completed)
        {
            Console.Error.WriteLine($"Settlement {i} reported {settlement.Status}.");
            return 4;
        }

        settled += cost;
    }
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"admitted={admitted} refused={refused} settled={settled} charged={charged}"));
return 0;
