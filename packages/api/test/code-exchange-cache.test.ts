import { describe, expect, it } from "vitest";
import { createMemoryCodeExchangeCache } from "../src/services/code-exchange-cache.ts";

describe("memory code-exchange cache", () => {
  it("answers an entry during its lifetime only", async () => {
    let time = 1_000;
    const cache = createMemoryCodeExchangeCache(() => time);
    await cache.set("a", "session-a", 300_000);
    time += 299_999;
    expect(await cache.get("a")).toBe("session-a");
    time += 1;
    expect(await cache.get("a")).toBeUndefined();
  });

  it("drops expired entries as new ones arrive, so it holds about one lifetime of entries", async () => {
    let time = 0;
    const cache = createMemoryCodeExchangeCache(() => time);
    // A login every 10 ms for 20 minutes, each remembered for 5: about 30,000 live at any moment.
    for (let index = 0; index < 120_000; index++) {
      await cache.set(`code-${index}`, "entry", 300_000);
      time += 10;
    }
    expect(cache.size).toBeLessThanOrEqual(30_001);
    expect(await cache.get("code-0")).toBeUndefined();
    expect(await cache.get("code-119999")).toBe("entry");
  });

  it("moves a key set again to its new expiry", async () => {
    let time = 0;
    const cache = createMemoryCodeExchangeCache(() => time);
    await cache.set("first", "1", 1_000);
    await cache.set("second", "2", 1_000);
    time = 500;
    await cache.set("first", "1 again", 1_000);
    time = 1_200;
    await cache.set("third", "3", 1_000);
    // "second" expired at 1000 and was dropped; "first" lives until 1500.
    expect(cache.size).toBe(2);
    expect(await cache.get("first")).toBe("1 again");
    expect(await cache.get("second")).toBeUndefined();
  });
});
