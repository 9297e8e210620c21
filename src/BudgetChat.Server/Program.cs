using BudgetChat.Server;

// Listens where configuration says (appsettings.json: http://127.0.0.1:5380), keeps data in BudgetServer:DataDirectory.
BudgetServer.Build(BudgetServer.CreateBuilder(args)).Run();
