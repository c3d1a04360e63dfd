import type { Redis } from "ioredis";

type ScriptArgument = string | number;
export type ScriptCall = (keys: string[], args: ScriptArgument[]) => Promise<unknown>;

/**
 * A Lua script run with EVALSHA (ioredis `defineCommand`: loaded once, re-sent on NOSCRIPT). Its
 * KEYS get the connection's key prefix like any other key; keys a script builds itself must be
 * prefixed by hand.
 */
export function defineScript(name: string, numberOfKeys: number, lua: string) {
  return {
    on(client: Redis): ScriptCall {
      if (!(name in client)) client.defineCommand(name, { numberOfKeys, lua });
      const command = (client as unknown as Record<string, (...values: ScriptArgument[]) => Promise<unknown>>)[name]!;
      return (keys, args) => command.call(client, ...keys, ...args);
    },
  };
}
