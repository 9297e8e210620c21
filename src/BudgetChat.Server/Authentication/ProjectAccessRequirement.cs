using BudgetChat.Server.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BudgetChat.Server.Authentication;

/// <summary>Requires the caller's key to be bound to the project of the route (<c>{project}</c>).</summary>
internal sealed class ProjectAccessRequirement : IAuthorizationRequirement;

/// <summary>Grants <see cref="ProjectAccessRequirement"/> when the route's project is the key's. Thread-safe.</summary>
internal sealed class ProjectAccessHandler(ILogger<ProjectAccessHandler> logger) : AuthorizationHandler<ProjectAccessRequirement, HttpContext>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ProjectAccessRequirement requirement, HttpContext resource)
    {
        string project = resource.Request.RouteValues["project"] as string ?? string.Empty;
        if (ProjectAccess.Allows(context.User, project))
        {
            context.Succeed(requirement);
        }
        else if (context.User.Identity?.IsAuthenticated == true)
        {
            BudgetServerLog.Forbidden(logger, ProjectAccess.KeyProject(context.User) ?? string.Empty, project);
        }

        return Task.CompletedTask;
    }
}
