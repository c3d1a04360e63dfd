import { defineConfig } from "vitest/config";

// Unit tests plus the weapp build check (test/weapp-build.test.ts builds the mini-program once, ~15 s).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});
