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
  /**
   * Before every statement (one `stat`, microseconds): the last problem, or the -shm file shrunk, or
   * (at most every INODE_CHECK_SLICE_MS) the file gone or replaced. SQLite maps -shm into memory;
   * touching the mapping after the file was truncated kills the process with SIGBUS, so no statement
   * may run once it shrank: that stat stays on every statement.
   */
  readonly guard: () => string | undefined;
  /** True once -shm shrank: even closing the connection would touch the mapping. */
  readonly mappingUnsafe: () => boolean;
  /** The largest -shm size guard() has seen (bytes): it must never be smaller at a statement. */
  readonly shmSize: () => number;
  /** Checks now (a few stat/access calls) and remembers the answer. */
  readonly check: () => Promise<string | undefined>;
  readonly close: () => void;
}

/**
 * A deleted or replaced file loses writes but crashes nothing, and the interval check catches it
 * anyway: its stat runs at most this often on the statement path (a stat per statement was ~2.5% of a
 * session check), a few milliseconds of statements at most, against seconds of the interval.
 */
const INODE_CHECK_SLICE_MS = 5;

export function watchDatabaseFile(file: string, intervalMs: number): FileHealthMonitor {
  const opened = statSync(file);
  let lastProblem: string | undefined = fileProblemSync(file, opened);
  let checking: Promise<string | undefined> | undefined;
  let shmSize = sizeOf(`${file}-shm`) ?? 0;
  let shmProblem: string | undefined;
  let inodeCheckedAt = -Infinity;

  const guard = (): string | undefined => {
    if (shmProblem) return shmProblem;
    const size = sizeOf(`${file}-shm`);
    // Sticky: the mapping stays unsafe even if the file grows again.
    if (size !== undefined && size < shmSize) shmProblem = shrunkShmProblem;
    else if (size === undefined && shmSize > 0) shmProblem = deletedShmProblem;
    else shmSize = Math.max(shmSize, size ?? 0);
    if (shmProblem) return (lastProblem = shmProblem);
    if (lastProblem) return lastProblem;
    const checkedAt = performance.now();
    if (checkedAt - inodeCheckedAt < INODE_CHECK_SLICE_MS) return undefined;
    inodeCheckedAt = checkedAt;
    try {
      const now = statSync(file);
      if (now.ino !== opened.ino || now.dev !== opened.dev) return (lastProblem = replacedProblem);
    } catch (error) {
      return (lastProblem = statProblem(error));
    }
    return undefined;
  };

  const check = (): Promise<string | undefined> => {
    // One check at a time: the periodic timer and health probes share it.
    checking ??= fileProblem(file, opened)
      .then((problem) => {
        lastProblem = problem;
        inodeCheckedAt = -Infinity;
        return (lastProblem = guard());
      })
      .finally(() => (checking = undefined));
    return checking;
  };
  // unref: the watch must never keep a finished process (a test, a script) alive.
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  const mappingUnsafe = () => shmProblem === shrunkShmProblem;
  return {
    problem: () => lastProblem,
    guard,
    mappingUnsafe,
    shmSize: () => shmSize,
    check,
    close: () => clearInterval(timer),
  };
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

const shrunkShmProblem =
  "its -shm file was truncated or deleted by another program; using it could crash the process (SIGBUS)";

const deletedShmProblem = "its -shm file was deleted by another program while the server had it open";

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
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
