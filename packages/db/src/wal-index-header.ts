import { closeSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";

/**
 * The WAL-index header of a SQLite database in WAL mode, read from its `-shm` file: SQLite rewrites
 * it, under the WAL write lock, at the end of every commit by any connection of any process
 * (https://www.sqlite.org/walformat.html, "The WAL-Index Header"). Two equal reads mean no
 * transaction committed in between; `iChange` (a u32 at byte 8, in the machine's byte order) counts
 * the rewrites, one per commit.
 *
 * One `pread` of 48 bytes on a descriptor of our own: no statement, no lock, and no access to
 * SQLite's memory mapping of the file, so a truncated `-shm` (SIGBUS through the mapping) cannot
 * hurt here: a short read answers undefined. `PRAGMA data_version` says the same thing for other
 * connections' commits but costs two fcntl calls, and must be guarded by a stat of the file first.
 *
 * The descriptor must stay open while SQLite's connection is: closing any descriptor of a file drops
 * every POSIX lock the process holds on it, SQLite's read locks on `-shm` included. Close it only
 * after the connection (close()).
 */
export interface WalIndexHeader {
  /**
   * The header's first copy, or undefined when it cannot be read (no -shm, too short, a file
   * problem). The buffer is reused by the next read: copy what you keep.
   */
  read(): Buffer | undefined;
  close(): void;
}

export const WAL_INDEX_HEADER_BYTES = 48;
const I_CHANGE_OFFSET = 8;
const IS_INIT_OFFSET = 12;
const littleEndian = endianness() === "LE";

/** The header's commit counter. */
export function walIndexChangeCounter(header: Buffer): number {
  return littleEndian ? header.readUInt32LE(I_CHANGE_OFFSET) : header.readUInt32BE(I_CHANGE_OFFSET);
}

export function openWalIndexHeader(databaseFile: string): WalIndexHeader {
  let fd: number | undefined;
  let closed = false;
  const scratch = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  return {
    read() {
      if (closed) return undefined;
      if (fd === undefined) {
        try {
          fd = openSync(`${databaseFile}-shm`, "r");
        } catch {
          return undefined;
        }
      }
      let bytes: number;
      try {
        bytes = readSync(fd, scratch, 0, WAL_INDEX_HEADER_BYTES, 0);
      } catch {
        return undefined;
      }
      // isInit is 0 while a connection rebuilds the index (recovery): not a header to trust.
      if (bytes < WAL_INDEX_HEADER_BYTES || scratch[IS_INIT_OFFSET] === 0) return undefined;
      return scratch;
    },
    close() {
      closed = true;
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
