import pino, { type DestinationStream, type Logger } from "pino";

/**
 * Paths pino blanks out wherever they appear in a log line. The code logs explicit fields and never
 * these values; this is the net under that rule.
 */
const REDACTED_PATHS = [
  "authorization",
  "token",
  "code",
  "secret",
  "sessionKey",
  "session_key",
  "*.authorization",
  "*.token",
  "*.code",
  "*.secret",
  "*.sessionKey",
  "*.session_key",
  "headers.authorization",
  "req.headers.authorization",
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, destination);
}
