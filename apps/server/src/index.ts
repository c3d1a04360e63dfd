export { ConfigError, parseServerEnv, type ServerEnv } from "./env.ts";
export { closeOnSignals, startServer, type RunningServer, type StartServerOptions } from "./lifecycle.ts";
