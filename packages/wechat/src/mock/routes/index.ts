/**
 * Every WeChat endpoint the mock serves. To add one, write a route file next to code2session.ts
 * and list it here.
 */
import { code2SessionRoute } from "./code2session.ts";
import { legacyTokenRoute } from "./legacy-token.ts";
import { phoneNumberRoute } from "./phone-number.ts";
import { checkSessionRoute, resetSessionKeyRoute } from "./session-key.ts";
import { stableTokenRoute } from "./stable-token.ts";
import type { WechatRoute } from "./types.ts";

export const WECHAT_ROUTES: readonly WechatRoute[] = [
  code2SessionRoute,
  stableTokenRoute,
  legacyTokenRoute,
  phoneNumberRoute,
  checkSessionRoute,
  resetSessionKeyRoute,
];
