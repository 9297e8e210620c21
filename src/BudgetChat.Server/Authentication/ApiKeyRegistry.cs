using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace BudgetChat.Server.Authentication;

/// <summary>
/// The configured API keys with their project and role, kept as SHA-256 hashes and compared in constant time: the
/// time an answer takes says nothing about how much of a key was right, nor which key matched.
/// </summary>
/// <remarks>This type is immutable and thread-safe.</remarks>
internal sealed class ApiKeyRegistry
{
    private readonly (byte[] Hash, ApiKeyGrant Grant)[] _keys;

    public ApiKeyRegistry(IOptions<BudgetServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = [.. options.Value.ApiKeys.Where(k => !string.IsNullOrEmpty(k?.Key)).Select(k => (Hash(k.Key), new ApiKeyGrant(k.Project, k.Role)))];
        ProjectCount = _keys.Select(k => k.Grant.Project).Distinct(StringComparer.Ordinal).Count();
    }

    /// <summary>Gets a value indicating whether no key is configured, so every caller may use every project.</summary>
    public bool IsOpen => _keys.Length == 0;

    /// <summary>Gets how many keys are configured.</summary>
    public int Count => _keys.Length;

    /// <summary>Gets how many projects the keys cover.</summary>
    public int ProjectCount { get; }

    /// <summary>Finds the project and role of a presented key, comparing it with every configured key.</summary>
    public ApiKeyGrant? Find(string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        int byteCount = Encoding.UTF8.GetByteCount(presented);
        byte[] bytes = new byte[byteCount];
        Encoding.UTF8.GetBytes(presented, bytes);
        SHA256.HashData(bytes, hash);
        CryptographicOperations.ZeroMemory(bytes);

        ApiKeyGrant? found = null;
        foreach ((byte[] keyHash, ApiKeyGrant grant) in _keys)
        {
            // No early exit: every key is compared whatever matched.
            if (CryptographicOperations.FixedTimeEquals(hash, keyHash))
            {
                found = grant;
            }
        }

        return found;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
