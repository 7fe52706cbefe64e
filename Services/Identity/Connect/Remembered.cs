using System.Collections.Concurrent;

namespace Boxoffice.Identity.Connect;

/// <summary>
/// What a replica remembers for a while: entries expire <paramref name="lifetime"/> after they were
/// added, and past <paramref name="capacity"/> nothing new is remembered until some expire, so
/// whoever chooses the keys cannot grow it. Used for verified client secrets and for client
/// records (<see cref="VerifiedClientSecrets"/>, <see cref="RememberedClients"/>).
/// </summary>
internal sealed class Remembered<TKey, TValue>(TimeProvider clock, TimeSpan lifetime, int capacity)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, (TValue Value, DateTimeOffset Expires)> entries = new();

    public bool TryGet(TKey key, out TValue value)
    {
        if (entries.TryGetValue(key, out var entry))
        {
            if (entry.Expires > clock.GetUtcNow())
            {
                value = entry.Value;
                return true;
            }

            entries.TryRemove(KeyValuePair.Create(key, entry));
        }

        value = default!;
        return false;
    }

    public void Add(TKey key, TValue value)
    {
        var now = clock.GetUtcNow();
        if (entries.Count >= capacity)
        {
            foreach (var stale in entries)
            {
                if (stale.Value.Expires <= now)
                {
                    entries.TryRemove(stale);
                }
            }

            if (entries.Count >= capacity)
            {
                return;
            }
        }

        entries[key] = (value, now + lifetime);
    }
}
