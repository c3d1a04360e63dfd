import { mintLoginCode } from "@mp-auth/wechat/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeEndedSessions } from "../src/index.ts";
import { startApiHarness, type ApiHarness, apiTestEngines } from "./api-harness.ts";

describe.each(await apiTestEngines())("on %s", (engine) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ engine });
  });
  afterAll(async () => api?.close());

  describe("purgeEndedSessions", () => {
    it("deletes sessions ended longer ago than the retention, and nothing else", async () => {
      const logins = [];
      for (let i = 0; i < 4; i++) {
        const { code } = await mintLoginCode(api.mock.url, {});
        logins.push(await api.caller().auth.login({ code }));
      }
      const [live, recentlyRevoked, longExpired, longRevoked] = logins.map((l) => l.token);
      const now = new Date();
      const daysAgo = (days: number) => new Date(now.getTime() - days * 24 * 3600 * 1000);
      await api.caller(recentlyRevoked).auth.logout();
      const sessionIdOf = async (token: string) => (await api.caller(token).auth.sessions()).find((s) => s.current)!.id;
      const expiredId = await sessionIdOf(longExpired!);
      const revokedId = await sessionIdOf(longRevoked!);
      await api.db.session.update({ where: { id: expiredId }, data: { expiresAt: daysAgo(31) } });
      await api.db.session.update({ where: { id: revokedId }, data: { revokedAt: daysAgo(40) } });

      expect(await purgeEndedSessions(api.db, now, 30)).toBe(2);
      expect(await api.db.session.count({ where: { id: { in: [expiredId, revokedId] } } })).toBe(0);
      await expect(api.caller(live).user.me()).resolves.toBeTruthy();
      await expect(api.caller(recentlyRevoked).user.me()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
      expect(await purgeEndedSessions(api.db, now, 30)).toBe(0);
    });
  });
});
