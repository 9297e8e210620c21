using System.Globalization;
using BudgetChat;
using BudgetChat.Http;
using Microsoft.Extensions.DependencyInjection;

/// <summary>
/// The worker of the crash test (tests/BudgetChat.Http.Tests/CrashTests.cs): load on a budget service that is killed
/// and restarted while it runs, with every acknowledged settle and charge written to a journal.
/// </summary>
/// <remarks>
/// Usage: <c>BudgetChat.StoreWorker crash &lt;url&gt; &lt;project&gt; &lt;worker&gt; &lt;journal&gt; &lt;go-file&gt; &lt;stop-file&gt;</c>
/// (API key from <c>BUDGETCHAT_API_KEY</c>). From the go file until the stop file, each operation is one of: a
/// reservation of 0.05 on <see cref="CappedKey"/> or <see cref="OpenKey"/> (alternately) expiring in
/// <see cref="Expiry"/>, settled at 0.01 to 0.05, or abandoned (every seventh, never settled nor released); every tenth a
/// plain charge of 0.01 on <see cref="OpenKey"/>. A call that fails because the service is down is retried with the
/// same id and the same parameters until the service answers. Each acknowledged settle or charge is appended to the
/// journal (<c>settle|charge id key amount</c>, one flushed line) before the next operation. Prints one line:
/// <c>calls= acknowledged= refused= abandoned= retried= retriedSettles= replayed= lastExpiry=</c> (replayed: acknowledged
/// as already completed, an earlier attempt having been done with its answer lost). Exit code 0 unless an answer
/// is one the contract rules out, or the service stays away for <see cref="GiveUpAfter"/>.
/// </remarks>
internal static class CrashWorker
{
    /// <summary>The budget with a limit the load reaches: its spend must never pass it.</summary>
    public const string CappedKey = "capped";

    /// <summary>The budget with a limit the load never reaches, so that settles keep coming while the service is killed.</summary>
    public const string OpenKey = "open";

    // Long enough that a reservation retried through a slow restart on a loaded machine is still in the future.
    private static readonly TimeSpan Expiry = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 6)
        {
            Console.Error.WriteLine("usage: BudgetChat.StoreWorker crash <url> <project> <worker> <journal> <go-file> <stop-file>");
            return 64;
        }

        var url = new Uri(args[0], UriKind.Absolute);
        string project = args[1];
        int worker = int.Parse(args[2], CultureInfo.InvariantCulture);
        string journalPath = args[3];
        string goFile = args[4];
        string stopFile = args[5];

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

        var services = new ServiceCollection();
        services.AddHostedBudgetStore(o =>
        {
            o.BaseAddress = url;
            o.ApiKey = Environment.GetEnvironmentVariable(HostedBudgetStoreOptions.ApiKeyEnvironmentVariable);

            // Find out quickly that the service is down (a restart takes about a second) and retry here, by id.
            o.AttemptTimeout = TimeSpan.FromSeconds(2);
            o.TotalTimeout = TimeSpan.FromSeconds(3);
            o.MaxRetries = 0;
            o.CircuitBreakDuration = TimeSpan.FromSeconds(0.5);
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        IBudgetStore store = provider.GetRequiredService<IBudgetStore>();
        await using var journal = new StreamWriter(journalPath, append: false) { AutoFlush = true };

        var counts = new Counts();
        DateTimeOffset lastExpiry = DateTimeOffset.MinValue;
        try
        {
            for (int i = 0; !File.Exists(stopFile); i++)
            {
                counts.Calls++;
                if (i % 10 == 9)
                {
                    string chargeId = $"w{worker}-c{i}";
                    BudgetCompletion charge = await UntilAnsweredAsync(counts, ct => store.ChargeAsync(project, [OpenKey], 0.01m, "plain", chargeId, ct));
                    Acknowledged(charge, "Charge", chargeId);
                    if (charge.Status == BudgetCompletionStatus.AlreadyCompleted)
                    {
                        counts.Replayed++;
                    }

                    await journal.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"charge {chargeId} {OpenKey} 0.01"));
                    counts.Acknowledged++;
                    continue;
                }

                string key = i % 2 == 0 ? CappedKey : OpenKey;
                string id = $"w{worker}-r{i}";
                DateTimeOffset expiresAt = TimeProvider.System.GetUtcNow() + Expiry;
                BudgetReservationResult reservation = await UntilAnsweredAsync(counts, ct => store.ReserveAsync(project, [key], 0.05m, id, expiresAt, ct));
                if (!reservation.IsReserved)
                {
                    if (reservation.Status != BudgetReservationStatus.InsufficientBudget)
                    {
                        throw new InvalidOperationException($"Reservation {id} reported {reservation.Status}.");
                    }

                    counts.Refused++;
                    continue;
                }

                if (i % 7 == 3)
                {
                    counts.Abandoned++;
                    lastExpiry = expiresAt;
                    continue;
                }

                decimal cost = 0.01m * (1 + (i % 5));
                int failuresBefore = counts.Retried;
                BudgetCompletion settlement = await UntilAnsweredAsync(counts, ct => store.SettleAsync(project, id, cost, "reserved", ct));
                Acknowledged(settlement, "Settlement", id);
                if (settlement.Status == BudgetCompletionStatus.AlreadyCompleted)
                {
                    counts.Replayed++;
                }

                await journal.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"settle {id} {key} {cost}"));
                counts.Acknowledged++;
                if (counts.Retried > failuresBefore)
                {
                    counts.RetriedSettles++;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"calls={counts.Calls} acknowledged={counts.Acknowledged} refused={counts.Refused} abandoned={counts.Abandoned} retried={counts.Retried} retriedSettles={counts.RetriedSettles} replayed={counts.Replayed} lastExpiry={lastExpiry.ToUnixTimeMilliseconds()}"));
        return 0;
    }

    // Completed the first time; AlreadyCompleted when an earlier attempt was done but its answer lost with the process.
    private static void Acknowledged(BudgetCompletion completion, string what, string id)
    {
        if (completion.Status is not (BudgetCompletionStatus.Completed or BudgetCompletionStatus.AlreadyCompleted))
        {
            throw new InvalidOperationException($"{what} {id} reported {completion.Status}.");
        }
    }

    private static async Task<T> UntilAnsweredAsync<T>(Counts counts, Func<CancellationToken, ValueTask<T>> call)
    {
        DateTimeOffset giveUp = TimeProvider.System.GetUtcNow() + GiveUpAfter;
        while (true)
        {
            try
            {
                return await call(CancellationToken.None);
            }
            catch (Exception ex) when (ex is BudgetStoreUnavailableException or HttpRequestException or TaskCanceledException)
            {
                counts.Retried++;
                if (TimeProvider.System.GetUtcNow() > giveUp)
                {
                    throw new TimeoutException($"The service did not answer for {GiveUpAfter}: {ex.Message}");
                }

                await Task.Delay(50);
            }
        }
    }

    private sealed class Counts
    {
        public int Calls { get; set; }

        public int Acknowledged { get; set; }

        public int Refused { get; set; }

        public int Abandoned { get; set; }

        public int Retried { get; set; }

        public int RetriedSettles { get; set; }

        public int Replayed { get; set; }
    }
}
