/** Random identifiers shaped like WeChat's, so code that checks formats behaves as in production. */
import { randomBytes, randomInt } from "node:crypto";

const ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function randomAlphanumeric(length: number): string {
  let text = "";
  for (let index = 0; index < length; index++) text += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return text;
}

/** 28 chars, "o" then base64url, like "oGZUI0egBJY1zhBYw2KhdUfwVJJE". */
export function randomOpenid(): string {
  return `o${randomBytes(21).toString("base64url").slice(0, 27)}`;
}

/** wx.login codes are 32 alphanumeric chars. */
export function randomLoginCode(): string {
  return randomAlphanumeric(32);
}

/** Base64 of 16 random bytes (24 chars), as WeChat issues them; usable as an AES-128 key. */
export function randomSessionKey(): string {
  return randomBytes(16).toString("base64");
}

/** Like WeChat's "rid: 66c69111-4157f271-729ca238". */
export function randomRid(): string {
  return [4, 4, 4].map((bytes) => randomBytes(bytes).toString("hex")).join("-");
}

/** Like the req_id in "code been used, hints: [ req_id: HhBAmkLnRa-tsLQaa ]". */
export function randomReqId(): string {
  return `${randomAlphanumeric(10)}-${randomAlphanumeric(6)}`;
}

const ACCESS_TOKEN_BODY_LENGTH = 132;

/** Like WeChat's "86_xxxx...": a small number, an underscore, then URL-safe characters. */
export function randomAccessToken(): string {
  return `${randomInt(70, 100)}_${randomBytes(ACCESS_TOKEN_BODY_LENGTH).toString("base64url").slice(0, ACCESS_TOKEN_BODY_LENGTH)}`;
}

/** getPhoneNumber button codes are 64 hex chars. */
export function randomPhoneCode(): string {
  return randomBytes(32).toString("hex");
}

/** "1380013" then 4 random digits: shaped like a mainland mobile number, obviously a test one. */
export function randomMainlandPhoneNumber(): string {
  return `1380013${String(randomInt(10_000)).padStart(4, "0")}`;
}
