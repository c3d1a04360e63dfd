/**
 * Every WeChat endpoint the mock serves. To add one (stable_token, getuserphonenumber,
 * checksession, ...), write a route file next to code2session.ts and list it here.
 */
import { code2SessionRoute } from "./code2session.ts";
import type { WechatRoute } from "./types.ts";

export const WECHAT_ROUTES: readonly WechatRoute[] = [code2SessionRoute];
