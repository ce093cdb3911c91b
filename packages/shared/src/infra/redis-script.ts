import type { RedisClient } from './redis';

/** A Lua script bound to a connection: KEYS first (`numberOfKeys` of them), then ARGV. */
export type RedisScript = (...keysThenArgs: Array<string | number>) => Promise<unknown>;

const defined = new WeakMap<RedisClient, Map<string, string>>();

/**
 * Registers `lua` on the connection under `name` (ioredis `defineCommand`, once per connection), so each
 * call sends EVALSHA and a 40-byte digest instead of the whole script; ioredis loads the script again by
 * itself when Redis answers NOSCRIPT (a restart, a failover, SCRIPT FLUSH). On Cluster every key of a
 * call must share one slot, as with EVAL. One name is one script: a second script under the same name
 * on the same connection is a bug and throws.
 */
export function redisScript(
  redis: RedisClient,
  name: string,
  lua: string,
  numberOfKeys: number,
): RedisScript {
  let scripts = defined.get(redis);
  if (!scripts) {
    scripts = new Map();
    defined.set(redis, scripts);
  }
  const known = scripts.get(name);
  if (known === undefined) {
    redis.defineCommand(name, { lua, numberOfKeys });
    scripts.set(name, lua);
  } else if (known !== lua) {
    throw new Error(`redisScript: "${name}" is already defined on this connection with another script`);
  }
  const commands = redis as unknown as Record<string, RedisScript>;
  return (...keysThenArgs) => (commands[name] as RedisScript).call(redis, ...keysThenArgs);
}
