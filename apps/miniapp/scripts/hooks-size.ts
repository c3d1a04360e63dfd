import { HOOKS_CHUNK } from "../config/index";
import { formatKb, JS_BUDGET_BYTES, type WeappSize } from "./weapp-size";

/**
 * `pnpm bench`'s line about the typed hooks: the weapp's JavaScript in all, and what React Query
 * with tRPC's integration adds (the chunk config/index.ts splits them into, so the figure is
 * measured from the build itself, not estimated).
 */
export function hooksSizeLines(size: WeappSize): string[] {
  const hooksBytes = size.jsFileBytes[`${HOOKS_CHUNK}.js`];
  return [
    `weapp JS total:    ${formatKb(size.jsBytes)} (budget ${formatKb(JS_BUDGET_BYTES)})`,
    hooksBytes === undefined
      ? `typed hooks:       no ${HOOKS_CHUNK}.js in this build`
      : `typed hooks:       ${formatKb(hooksBytes)} of it (${HOOKS_CHUNK}.js: @tanstack/react-query + @trpc/tanstack-react-query)`,
  ];
}
