using Microsoft.Extensions.Options;

namespace BudgetChat.AspNetCore;

/// <summary>
/// Reports every model downgrade of a budgeted call made during a request in the response's downgrade header: it runs after
/// the app's own configuration and keeps a <see cref="BudgetingChatClientOptions.OnModelDowngraded"/> the app set, calling it too.
/// </summary>
internal sealed class ModelDowngradeHeaderSetup : IPostConfigureOptions<BudgetingChatClientOptions>
{
    private readonly ModelDowngradeRecorder _recorder;
    private readonly IOptions<BudgetChatAspNetCoreOptions> _webOptions;

    public ModelDowngradeHeaderSetup(ModelDowngradeRecorder recorder, IOptions<BudgetChatAspNetCoreOptions> webOptions)
    {
        _recorder = recorder;
        _webOptions = webOptions;
    }

    public void PostConfigure(string? name, BudgetingChatClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // The header name is read on a downgrade, not here: these options are built (and validated) at start, and an
        // invalid setting of ours has to fail once, as ours, not again inside the core's options.
        ModelDowngradeRecorder recorder = _recorder;
        IOptions<BudgetChatAspNetCoreOptions> webOptions = _webOptions;
        Action<BudgetModelDowngrade>? appCallback = options.OnModelDowngraded;
        options.OnModelDowngraded = downgrade =>
        {
            // Ours first: it never throws, so the app's callback behaves as it would without us.
            if (webOptions.Value.ModelDowngradeHeaderName is { } headerName)
            {
                recorder.Record(downgrade, headerName);
            }

            appCallback?.Invoke(downgrade);
        };
    }
}
