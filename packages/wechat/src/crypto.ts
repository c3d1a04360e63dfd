/**
 * WeChat's user-data crypto, with node:crypto only.
 *
 * - encryptedData (legacy getPhoneNumber / getUserInfo): AES-128-CBC with PKCS#7 padding,
 *   key = base64-decode(session_key) (16 bytes), iv = base64-decode(iv) (16 bytes). The plaintext
 *   JSON carries `watermark: { appid, timestamp }`, checked by verifyWatermark.
 * - rawData signature: hex sha1(rawData + session_key).
 * - session_key signature (checksession, resetusersessionkey): hex HMAC-SHA256 of the EMPTY string,
 *   keyed with the session_key STRING as UTF-8 bytes (not the decoded 16 bytes).
 *
 * Errors never echo inputs: they are session keys, ciphertexts and personal data.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { WechatError } from "./errors.ts";

const AES_ALGORITHM = "aes-128-cbc";
const AES_KEY_BYTES = 16;
const AES_BLOCK_BYTES = 16;
// Standard alphabet with padding: what WeChat sends. A space (a '+' lost to URL decoding) fails here.
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface EncryptedUserData {
  /** Base64 ciphertext. Send it in a JSON body, never in a query string ('+' would become ' '). */
  encryptedData: string;
  /** Base64 of 16 bytes. */
  iv: string;
}

export interface DecryptUserDataRequest extends EncryptedUserData {
  /** The user's session_key (base64 of 16 bytes), current when the data was produced. Secret. */
  sessionKey: string;
}

/** Decrypts WeChat's encryptedData to its JSON object. Throws a `decrypt_failed` WechatError. */
export function decryptUserData(request: DecryptUserDataRequest): Record<string, unknown> {
  const key = decodeBase64(request.sessionKey, "session_key", AES_KEY_BYTES, decryptFailed);
  const iv = decodeBase64(request.iv, "iv", AES_BLOCK_BYTES, decryptFailed);
  const ciphertext = decodeBase64(request.encryptedData, "encryptedData", undefined, decryptFailed);
  if (ciphertext.length === 0 || ciphertext.length % AES_BLOCK_BYTES !== 0) {
    throw decryptFailed(`encryptedData is ${ciphertext.length} bytes, not a non-zero multiple of ${AES_BLOCK_BYTES}`);
  }

  let plaintext: string;
  try {
    const decipher = createDecipheriv(AES_ALGORITHM, key, iv);
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch {
    // OpenSSL only says "bad decrypt": the padding check failed, almost always a wrong key.
    throw decryptFailed("bad padding: wrong session_key (stale after a new wx.login?) or corrupted encryptedData/iv");
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext);
  } catch {
    // A wrong key passes the padding check about once in 256 tries, and then yields garbage.
    throw decryptFailed("the plaintext is not JSON: wrong session_key or corrupted encryptedData/iv");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw decryptFailed("the plaintext is JSON but not an object");
  }
  return parsed as Record<string, unknown>;
}

export interface EncryptUserDataRequest {
  /** Serialised as JSON, as WeChat does. */
  data: Record<string, unknown>;
  sessionKey: string;
  /** Base64 of 16 bytes; random when omitted. */
  iv?: string;
}

/** The inverse of decryptUserData, for the mock WeChat and for tests. */
export function encryptUserData(request: EncryptUserDataRequest): EncryptedUserData {
  const key = decodeBase64(request.sessionKey, "session_key", AES_KEY_BYTES, encryptRefused);
  const iv =
    request.iv === undefined
      ? randomBytes(AES_BLOCK_BYTES)
      : decodeBase64(request.iv, "iv", AES_BLOCK_BYTES, encryptRefused);
  const cipher = createCipheriv(AES_ALGORITHM, key, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(request.data), "utf8"), cipher.final()]);
  return { encryptedData: ciphertext.toString("base64"), iv: iv.toString("base64") };
}

export interface Watermark {
  appid: string;
  /** Unix seconds when WeChat produced the data. */
  timestamp: number;
}

export interface VerifyWatermarkOptions {
  /** Our appid: data made for another mini-program is refused. */
  appid: string;
  /** Older data is refused (replayed or stale). */
  maxAgeSeconds: number;
  /** Clock in epoch ms; default Date.now. */
  now?: () => number;
  /** Tolerated lead of WeChat's clock over ours; default 60 s. */
  maxClockSkewSeconds?: number;
}

const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 60;

/** Checks `data.watermark` (appid and freshness) and returns it. Throws a `watermark_invalid` WechatError. */
export function verifyWatermark(data: unknown, options: VerifyWatermarkOptions): Watermark {
  const watermark = typeof data === "object" && data !== null ? (data as { watermark?: unknown }).watermark : undefined;
  if (typeof watermark !== "object" || watermark === null) throw watermarkInvalid("the data has no watermark object");
  const { appid, timestamp } = watermark as { appid?: unknown; timestamp?: unknown };
  if (typeof appid !== "string" || typeof timestamp !== "number" || !Number.isInteger(timestamp)) {
    throw watermarkInvalid("the watermark lacks a string appid or an integer timestamp");
  }
  if (appid !== options.appid)
    throw watermarkInvalid("the watermark appid is not ours: the data was made for another mini-program");

  const nowSeconds = (options.now ?? Date.now)() / 1000;
  const ageSeconds = nowSeconds - timestamp;
  if (ageSeconds > options.maxAgeSeconds) {
    throw watermarkInvalid(
      `the data is ${Math.floor(ageSeconds)} s old, more than the ${options.maxAgeSeconds} s allowed`,
    );
  }
  if (-ageSeconds > (options.maxClockSkewSeconds ?? DEFAULT_MAX_CLOCK_SKEW_SECONDS)) {
    throw watermarkInvalid(`the watermark timestamp is ${Math.ceil(-ageSeconds)} s in the future`);
  }
  return { appid, timestamp };
}

export interface DecryptAndVerifyRequest extends DecryptUserDataRequest, VerifyWatermarkOptions {}

/** decryptUserData then verifyWatermark: what a server should do with the legacy button data. */
export function decryptAndVerifyUserData(request: DecryptAndVerifyRequest): Record<string, unknown> {
  const data = decryptUserData(request);
  verifyWatermark(data, request);
  return data;
}

/** hex sha1(rawData + sessionKey): the `signature` that comes with getUserInfo's rawData. */
export function rawDataSignature(rawData: string, sessionKey: string): string {
  return createHash("sha1")
    .update(rawData + sessionKey, "utf8")
    .digest("hex");
}

/** Constant-time check of getUserInfo's `signature` against rawData and the user's session_key. */
export function verifyRawDataSignature(request: { rawData: string; signature: string; sessionKey: string }): boolean {
  return constantTimeEqual(rawDataSignature(request.rawData, request.sessionKey), request.signature);
}

/** Hex HMAC-SHA256 of `message` keyed with the UTF-8 bytes of `key`. */
export function hmacSha256Hex(key: string, message: string): string {
  return createHmac("sha256", Buffer.from(key, "utf8")).update(message, "utf8").digest("hex");
}

/** The `signature` checksession and resetusersessionkey want: HMAC-SHA256 of "" keyed with the session_key string. */
export function sessionKeySignature(sessionKey: string): string {
  return hmacSha256Hex(sessionKey, "");
}

/**
 * Compares in time independent of where the strings differ. timingSafeEqual needs equal lengths;
 * the expected length (a hex digest) is public, so a length mismatch may return at once.
 */
function constantTimeEqual(expected: string, actual: string): boolean {
  const expectedBytes = Buffer.from(expected, "utf8");
  const actualBytes = Buffer.from(actual, "utf8");
  if (expectedBytes.length !== actualBytes.length) return false;
  return timingSafeEqual(expectedBytes, actualBytes);
}

function decodeBase64(
  value: string,
  name: string,
  expectedBytes: number | undefined,
  fail: (problem: string) => WechatError,
): Buffer {
  if (typeof value !== "string" || value.length === 0) throw fail(`${name} is empty`);
  if (!BASE64_PATTERN.test(value)) {
    const hint = value.includes(" ")
      ? " (it contains a space: a '+' lost to URL decoding? send it in a JSON body)"
      : "";
    throw fail(`${name} is not valid base64${hint}`);
  }
  const bytes = Buffer.from(value, "base64");
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) {
    throw fail(`${name} must decode to ${expectedBytes} bytes, got ${bytes.length}`);
  }
  return bytes;
}

function decryptFailed(problem: string): WechatError {
  return new WechatError({ kind: "decrypt_failed", message: `Cannot decrypt WeChat user data: ${problem}` });
}

function encryptRefused(problem: string): WechatError {
  return new WechatError({ kind: "invalid_request", message: `Cannot encrypt user data: ${problem}` });
}

function watermarkInvalid(problem: string): WechatError {
  return new WechatError({ kind: "watermark_invalid", message: `WeChat user data refused: ${problem}` });
}
