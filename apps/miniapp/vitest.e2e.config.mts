import { defineConfig } from "vitest/config";

// The browser end-to-end test: builds H5, starts the server + mock WeChat, drives Chromium.
export default defineConfig({
  test: {
    include: ["e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    // One browser, one server, one build: the steps of the file depend on each other.
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
