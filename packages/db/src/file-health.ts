import { constants, accessSync, statSync } from "node:fs";
import { access, stat } from "node:fs/promises";
import path from "node:path";

/**
 * Watches the SQLite file under an open connection. SQLite keeps writing into an open file handle
 * even after the path was deleted or replaced, so every "successful" write would be lost; and a
 * read-only file or folder only shows up at the next write. A `stat` of the path compared with the
 * inode seen at open, plus `access(W_OK)`, costs microseconds and catches all of these.
 */
export interface FileHealthMonitor {
  /** The last problem seen by a check, or undefined while the file is fine. Costs nothing. */
  readonly problem: () => string | undefined;
  /** Checks now (a few stat/access calls) and remembers the answer. */
  readonly check: () => Promise<string | undefined>;
  readonly close: () => void;
}

export function watchDatabaseFile(file: string, intervalMs: number): FileHealthMonitor {
  const opened = statSync(file);
  let lastProblem: string | undefined = fileProblemSync(file, opened);
  let checking: Promise<string | undefined> | undefined;

  const check = (): Promise<string | undefined> => {
    // One check at a time: the periodic timer and health probes share it.
    checking ??= fileProblem(file, opened)
      .then((problem) => (lastProblem = problem))
      .finally(() => (checking = undefined));
    return checking;
  };
  // unref: the watch must never keep a finished process (a test, a script) alive.
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return { problem: () => lastProblem, check, close: () => clearInterval(timer) };
}

type FileIdentity = { dev: number; ino: number };

async function fileProblem(file: string, opened: FileIdentity): Promise<string | undefined> {
  let now: FileIdentity;
  try {
    now = await stat(file);
  } catch (error) {
    return statProblem(error);
  }
  if (now.dev !== opened.dev || now.ino !== opened.ino) return replacedProblem;
  for (const [target, what] of writableTargets(file)) {
    try {
      await access(target, constants.W_OK);
    } catch (error) {
      const problem = accessProblem(error, what);
      if (problem) return problem;
    }
  }
  return undefined;
}

function fileProblemSync(file: string, opened: FileIdentity): string | undefined {
  for (const [target, what] of writableTargets(file)) {
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      const problem = accessProblem(error, what);
      if (problem) return problem;
    }
  }
  return opened.ino === statSync(file).ino ? undefined : replacedProblem;
}

const replacedProblem = "its file was replaced by another file while the server had it open";

/** The file, its folder (SQLite creates the -wal, -shm and journal files there), and WAL's files. */
function writableTargets(file: string): [string, string][] {
  return [
    [file, "its file"],
    [path.dirname(file), "its folder"],
    [`${file}-wal`, "its -wal file"],
    [`${file}-shm`, "its -shm file"],
  ];
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function statProblem(error: unknown): string {
  const code = errorCode(error);
  if (code === "ENOENT") return "its file was deleted while the server had it open";
  return `its file cannot be checked (${code ?? "unknown error"})`;
}

function accessProblem(error: unknown, what: string): string | undefined {
  const code = errorCode(error);
  // The -wal and -shm files come and go with connections; their absence is not a problem.
  if (code === "ENOENT") return what === "its file" || what === "its folder" ? `${what} is missing` : undefined;
  if (code === "EROFS") return `${what} is on a read-only file system`;
  if (code === "EACCES" || code === "EPERM") return `${what} is read-only (no write permission)`;
  return `${what} cannot be checked (${code ?? "unknown error"})`;
}
