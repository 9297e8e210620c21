using BenchmarkDotNet.Running;

namespace BudgetChat.Benchmarks;

// Not top-level statements: BudgetChat.Server (referenced for the hosted-store benchmark) has a public Program.
internal static class BenchmarkProgram
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
}
