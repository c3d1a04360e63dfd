import { z } from "zod";

/**
 * A whole-number setting within bounds, with a default: the one shape of the numeric settings
 * spread into the server's env schema (load shedding, HTTP bounds, shutdown, database waits), so
 * their error messages read alike. `unit: "ms"` words them in milliseconds.
 */
export function wholeNumberSetting(min: number, max: number, fallback: number, unit?: "ms") {
  const suffix = unit === "ms" ? " ms" : "";
  const range = `must be ${min}..${max}${suffix}`;
  return z.coerce
    .number({ error: unit === "ms" ? "must be a number of milliseconds" : "must be a whole number" })
    .int(unit === "ms" ? "must be a whole number of milliseconds" : "must be a whole number")
    .min(min, range)
    .max(max, range)
    .default(fallback);
}
