import type { OperatorUser } from "@mp-auth/api";

/** Where a command writes its answer: stdout in the CLI. */
export interface Output {
  line(text: string): void;
  /** The whole answer as one JSON document (dates as ISO-8601 strings). */
  json(value: unknown): void;
}

export function streamOutput(stream: NodeJS.WritableStream): Output {
  return {
    line: (text) => void stream.write(`${text}\n`),
    json: (value) => void stream.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}

type Cell = string | Date | null | undefined;

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined || cell === "") return "-";
  return cell instanceof Date ? cell.toISOString() : cell;
}

/** A user as key/value lines, the id first (what the other commands take). */
export function printUser(out: Output, user: OperatorUser, status: string): void {
  const phone = user.phoneNumber
    ? `${user.phoneCountryCode && user.phoneCountryCode !== "86" ? `+${user.phoneCountryCode} ` : ""}${user.phoneNumber}`
    : null;
  const rows: [string, Cell][] = [
    ["status", status],
    ["appid", user.appid],
    ["openid", user.openid],
    ["unionid", user.unionid],
    ["nickname", user.nickname],
    ["phone", phone],
    ["avatar", user.avatarUrl],
    ["created", user.createdAt],
    ["last login", user.lastLoginAt],
  ];
  out.line(`User ${user.id}`);
  for (const [key, value] of rows) out.line(`  ${key.padEnd(11)} ${cellText(value)}`);
}

/** Rows under a header, columns padded to their widest cell; empty cells show "-". */
export function printTable<T>(out: Output, header: string[], rows: T[], cells: (row: T) => Cell[]): void {
  const table = [header, ...rows.map((row) => cells(row).map(cellText))];
  const widths = header.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  for (const line of table) {
    out.line(
      line
        .map((text, column) => (column === line.length - 1 ? text : text.padEnd(widths[column]!)))
        .join("  ")
        .trimEnd(),
    );
  }
}
