using Microsoft.AspNetCore.Http;

namespace BudgetChat.AspNetCore;

/// <summary>
/// The exception thrown when the budget user of an HTTP request cannot be determined: the user header is malformed
/// (400), or <see cref="BudgetChatAspNetCoreOptions.RequireUser"/> is set and the request has no user (401 or 403).
/// The model was not called and nothing was reserved.
/// </summary>
/// <remarks>The exception handler registered by <c>AddBudgetChatAspNetCore</c> turns it into a ProblemDetails response with <see cref="StatusCode"/>.</remarks>
public sealed class BudgetUserException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="BudgetUserException"/> class.</summary>
    public BudgetUserException()
        : this("The request has no budget user.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetUserException"/> class with status 401.</summary>
    /// <param name="message">The message.</param>
    public BudgetUserException(string message)
        : this(message, StatusCodes.Status401Unauthorized)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetUserException"/> class with status 401.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public BudgetUserException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = StatusCodes.Status401Unauthorized;
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetUserException"/> class.</summary>
    /// <param name="message">The message, said to the client: it names the problem.</param>
    /// <param name="statusCode">The HTTP status of the response: 400, 401 or 403.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="statusCode"/> is not a 4xx status.</exception>
    public BudgetUserException(string message, int statusCode)
        : base(message)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 499);
        StatusCode = statusCode;
    }

    /// <summary>Gets the HTTP status of the response.</summary>
    public int StatusCode { get; }
}
