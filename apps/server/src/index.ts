export { ConfigError, parseServerEnv } from "./env.ts";
export { startServer, type RunningServer, type StartServerOptions } from "./lifecycle.ts";
