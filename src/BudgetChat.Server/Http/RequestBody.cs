using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Http;

/// <summary>Reads a request body as one JSON document, within <see cref="BudgetServerOptions.MaxRequestBodyBytes"/>.</summary>
internal static class RequestBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>Reads and parses the body; on failure the error is the 400 or 413 answer.</summary>
    public static async Task<(JsonDocument? Document, IResult? Error)> ReadAsync(HttpContext context)
    {
        long limit = context.RequestServices.GetRequiredService<IOptions<BudgetServerOptions>>().Value.MaxRequestBodyBytes;
        HttpRequest request = context.Request;
        if (request.ContentLength > limit)
        {
            return (null, Problems.TooLarge(limit));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, request.ContentLength + 1 ?? 4096));
        try
        {
            int length = 0;
            while (true)
            {
                if (length == rented.Length)
                {
                    if (length > limit)
                    {
                        return (null, Problems.TooLarge(limit));
                    }

                    byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, (long)rented.Length * 2));
                    rented.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(rented);
                    rented = larger;
                }

                int read;
                try
                {
                    read = await request.Body.ReadAsync(rented.AsMemory(length), context.RequestAborted).ConfigureAwait(false);
                }
                catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    return (null, Problems.TooLarge(limit));
                }

                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    return (null, Problems.TooLarge(limit));
                }
            }

            if (length == 0)
            {
                return (null, Problems.Validation("body", "The request body is empty; a JSON object is required."));
            }

            try
            {
                // The document is parsed from a copy: the rented buffer goes back to the pool.
                return (JsonDocument.Parse(rented.AsMemory(0, length).ToArray(), DocumentOptions), null);
            }
            catch (JsonException ex)
            {
                return (null, Problems.Validation("body", $"The request body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})."));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
