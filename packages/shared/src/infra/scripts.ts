import type { RedisClient } from './redis';

/** A Lua script registered on a connection: called with its keys first, then its arguments. */
export type ScriptCall = (...keysThenArgs: Array<string | number>) => Promise<unknown>;

type WithScripts = Record<string, ScriptCall | undefined>;

/**
 * Registers `lua` once per connection under `name` and returns its call: ioredis then sends EVALSHA
 * (a 40-byte digest) instead of the script's text on every call, and loads it again by itself after a
 * NOSCRIPT (a restarted or failed-over Redis). Pipelines and MULTIs built from the connection afterwards
 * carry the command too.
 */
export function definedScript(
  redis: RedisClient,
  name: string,
  numberOfKeys: number,
  lua: string,
): ScriptCall {
  const commands = redis as unknown as WithScripts;
  if (!commands[name]) redis.defineCommand(name, { numberOfKeys, lua });
  return (...args) => (commands[name] as ScriptCall)(...args);
}
