export { ConfigError } from "./env.ts";
export { closeOnSignals, startServer, type RunningServer, type StartServerOptions } from "./lifecycle.ts";
