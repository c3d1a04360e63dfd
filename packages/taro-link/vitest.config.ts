import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // The integration tests start the real server and the mock WeChat on loopback.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
