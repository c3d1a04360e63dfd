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

/**
 * JSON lines, one per event: the production format, and what tests read through `logDestination`.
 * Without a destination, stdout written asynchronously: pino's default writes every line with its
 * own write(2), about 8% of a user.me call's CPU; asynchronous, lines written while a write is under
 * way go out together. pino flushes what is buffered synchronously when the process exits (also
 * after process.exit in the shutdown and fatal paths), so no line is lost to a normal or fatal exit;
 * only a SIGKILL can lose the last few milliseconds of lines.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, destination ?? stdoutDestination());
}

/**
 * stdout through pino's destination (sonic-boom) in buffer mode, each line handed over as UTF-8
 * bytes. In its default string mode sonic-boom measures the UTF-8 length of all the text waiting
 * for the write in flight at every new line (`Buffer.byteLength` of a growing string): under load,
 * with many lines waiting, that was over 1% of a cached user.me's CPU. In buffer mode it adds up
 * byte counts. It still flushes on exit as before (pino registers that on the destination itself;
 * this wrapper holds nothing back).
 */
function stdoutDestination(): DestinationStream {
  const bytes = pino.destination({ dest: 1, sync: false, contentMode: "buffer" });
  return {
    // Its types know strings only; in buffer mode it takes a Buffer (sonic-boom's writeBuffer).
    write: (line: string) => bytes.write(Buffer.from(line) as unknown as string),
    flush: (callback?: (error?: Error) => void) => bytes.flush(callback),
    flushSync: () => bytes.flushSync(),
  } as DestinationStream;
}

/**
 * The logger of the one line per request (method, path without its query, status, ms): fields this
 * server sets itself, none of which can hold a secret, so the line skips the redaction pass, which
 * tripled the cost of the line (about 2 us of every request).
 */
export function createRequestLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/**
 * A destination that prints each JSON line as a short human-readable line (time, level, message,
 * fields), for `pnpm dev` only. The redaction above has already run on the line it receives.
 * pino-pretty is a dev dependency: it is loaded here, on demand, never in production.
 */
export async function createPrettyDestination(): Promise<DestinationStream> {
  const { default: pretty } = await import("pino-pretty");
  return pretty({
    colorize: process.stdout.isTTY || Boolean(process.env.FORCE_COLOR),
    translateTime: "SYS:HH:MM:ss",
    ignore: "pid,hostname",
    singleLine: true,
    // Written as they come, so the dev banner (plain stdout) lands after the "server listening" line.
    sync: true,
  });
}
