import { createCipheriv, createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decryptAndVerifyUserData,
  decryptUserData,
  encryptUserData,
  hmacSha256Hex,
  rawDataSignature,
  sessionKeySignature,
  verifyRawDataSignature,
  verifyWatermark,
} from "../src/index.ts";
import { randomSessionKey } from "../src/mock/index.ts";
import { expectNoLeak, expectWechatErrorSync } from "./helpers.ts";

// Official vectors (wechat-api.md section 6, and WeChat's "signature" doc page and AES demo).
const HMAC_VECTOR = {
  key: "o0q0otL8aEzpcZL/FT9WsQ==",
  message: '{"foo":"bar"}',
  hex: "654571f79995b2ce1e149e53c0a33dc39c0a74090db514261454e8dbe432aa0b",
};

const RAW_DATA_SESSION_KEY = "HyVFkGl5F5OQWJZZaNzBBg==";
const RAW_DATA_SIGNATURE = "75e81ceda165f4ffa64f4068af58c64b8f54b88c";
/** The rawData on WeChat's doc page (developers.weixin.qq.com/miniprogram/dev/api/signature.html). */
const OFFICIAL_RAW_DATA =
  '{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}';
/**
 * The sample as quoted in our brief: its avatarUrl tail differs from the doc page's, and it does NOT
 * give the documented signature. Kept as a negative control.
 */
const BRIEF_RAW_DATA =
  '{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyC7jBwnuS7Cv7xJ2nQ/132"}';

/** WeChat's published encryptedData demo (the aes-sample of the open docs). */
const DECRYPT_VECTOR = {
  appid: "wx4f4bc4dec97d474b",
  sessionKey: "tiihtNczf5v6AKRyjwEUhQ==",
  iv: "r7BXXKkLb8qrSNn05n0qiA==",
  encryptedData:
    "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==",
  timestamp: 1477314187,
};

describe("HMAC-SHA256 and the session_key signature", () => {
  it("matches the official HMAC vector", () => {
    expect(hmacSha256Hex(HMAC_VECTOR.key, HMAC_VECTOR.message)).toBe(HMAC_VECTOR.hex);
  });

  it("signs the EMPTY string keyed with the session_key string, not its decoded bytes", () => {
    const sessionKey = HMAC_VECTOR.key;
    const signature = sessionKeySignature(sessionKey);
    expect(signature).toBe(hmacSha256Hex(sessionKey, ""));
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    const withDecodedKey = createHmac("sha256", Buffer.from(sessionKey, "base64")).update("").digest("hex");
    expect(signature).not.toBe(withDecodedKey);
    expect(signature).not.toBe(hmacSha256Hex("", sessionKey));
  });
});

describe("rawData signature", () => {
  it("matches the official vector with the doc page's rawData", () => {
    expect(rawDataSignature(OFFICIAL_RAW_DATA, RAW_DATA_SESSION_KEY)).toBe(RAW_DATA_SIGNATURE);
    expect(
      verifyRawDataSignature({
        rawData: OFFICIAL_RAW_DATA,
        signature: RAW_DATA_SIGNATURE,
        sessionKey: RAW_DATA_SESSION_KEY,
      }),
    ).toBe(true);
  });

  it("the rawData sample quoted in the brief does not give the documented signature", () => {
    expect(rawDataSignature(BRIEF_RAW_DATA, RAW_DATA_SESSION_KEY)).not.toBe(RAW_DATA_SIGNATURE);
    expect(
      verifyRawDataSignature({
        rawData: BRIEF_RAW_DATA,
        signature: RAW_DATA_SIGNATURE,
        sessionKey: RAW_DATA_SESSION_KEY,
      }),
    ).toBe(false);
  });

  it.each([
    { case: "one hex digit changed", signature: `${RAW_DATA_SIGNATURE.slice(0, -1)}d` },
    { case: "too short (timingSafeEqual would throw)", signature: RAW_DATA_SIGNATURE.slice(0, 20) },
    { case: "too long", signature: `${RAW_DATA_SIGNATURE}00` },
    { case: "empty", signature: "" },
    { case: "upper case", signature: RAW_DATA_SIGNATURE.toUpperCase() },
  ])("is false, without throwing, for a signature $case", ({ signature }) => {
    expect(verifyRawDataSignature({ rawData: OFFICIAL_RAW_DATA, signature, sessionKey: RAW_DATA_SESSION_KEY })).toBe(
      false,
    );
  });

  it("is false with another session_key or tampered rawData", () => {
    expect(
      verifyRawDataSignature({
        rawData: OFFICIAL_RAW_DATA,
        signature: RAW_DATA_SIGNATURE,
        sessionKey: randomSessionKey(),
      }),
    ).toBe(false);
    const tampered = OFFICIAL_RAW_DATA.replace('"gender":1', '"gender":2');
    expect(
      verifyRawDataSignature({ rawData: tampered, signature: RAW_DATA_SIGNATURE, sessionKey: RAW_DATA_SESSION_KEY }),
    ).toBe(false);
  });
});

describe("decryptUserData", () => {
  it("decrypts WeChat's published demo ciphertext", () => {
    const data = decryptUserData(DECRYPT_VECTOR);
    expect(data).toMatchObject({
      openId: "oGZUI0egBJY1zhBYw2KhdUfwVJJE",
      unionId: "ocMvos6NjeKLIBqg5Mr9QjxrP1FA",
      nickName: "Band",
      watermark: { appid: DECRYPT_VECTOR.appid, timestamp: DECRYPT_VECTOR.timestamp },
    });
  });

  it("accepts the demo's watermark for its appid at its time, and refuses it today", () => {
    const data = decryptUserData(DECRYPT_VECTOR);
    const atTheTime = () => (DECRYPT_VECTOR.timestamp + 30) * 1000;
    expect(verifyWatermark(data, { appid: DECRYPT_VECTOR.appid, maxAgeSeconds: 300, now: atTheTime })).toEqual({
      appid: DECRYPT_VECTOR.appid,
      timestamp: DECRYPT_VECTOR.timestamp,
    });
    const error = expectWechatErrorSync(() =>
      verifyWatermark(data, { appid: DECRYPT_VECTOR.appid, maxAgeSeconds: 300 }),
    );
    expect(error.kind).toBe("watermark_invalid");
    expect(error.message).toMatch(/s old/);
  });

  it("round-trips its own encryption, with a random iv each time", () => {
    const sessionKey = randomSessionKey();
    const data = {
      purePhoneNumber: "13800138000",
      countryCode: "86",
      watermark: { appid: "wxown", timestamp: 1_700_000_000 },
    };
    const first = encryptUserData({ data, sessionKey });
    const second = encryptUserData({ data, sessionKey });
    expect(first.iv).not.toBe(second.iv);
    expect(first.encryptedData).not.toBe(second.encryptedData);
    expect(decryptUserData({ ...first, sessionKey })).toEqual(data);
    expect(decryptUserData({ ...second, sessionKey })).toEqual(data);
  });

  it("is deterministic for a given iv (the demo ciphertext re-encrypts to itself)", () => {
    const data = decryptUserData(DECRYPT_VECTOR);
    expect(encryptUserData({ data, sessionKey: DECRYPT_VECTOR.sessionKey, iv: DECRYPT_VECTOR.iv }).encryptedData).toBe(
      DECRYPT_VECTOR.encryptedData,
    );
  });

  it("fails with decrypt_failed for a wrong session_key, echoing nothing", () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const wrongKey = randomSessionKey();
      const error = expectWechatErrorSync(() => decryptUserData({ ...DECRYPT_VECTOR, sessionKey: wrongKey }));
      expect([error.kind, error.retryable, error.errcode]).toEqual(["decrypt_failed", false, undefined]);
      expectNoLeak(error, [wrongKey, DECRYPT_VECTOR.iv, DECRYPT_VECTOR.encryptedData.slice(0, 16)]);
    }
  });

  it.each([
    {
      case: "a '+' turned into ' '",
      input: { encryptedData: DECRYPT_VECTOR.encryptedData.replace("+", " ") },
      message: /encryptedData is not valid base64 \(it contains a space/,
    },
    {
      case: "a truncated ciphertext",
      input: { encryptedData: DECRYPT_VECTOR.encryptedData.slice(0, 40) },
      message: /not a non-zero multiple of 16/,
    },
    { case: "an empty ciphertext", input: { encryptedData: "" }, message: /encryptedData is empty/ },
    {
      case: "a 12-byte session_key",
      input: { sessionKey: "AAAAAAAAAAAAAAAA" },
      message: /session_key must decode to 16 bytes, got 12/,
    },
    {
      case: "a session_key that is not base64",
      input: { sessionKey: "tiihtNczf5v6AKRyjwEUhQ=!" },
      message: /session_key is not valid base64/,
    },
    { case: "a wrong-length iv", input: { iv: "r7BXXKkLb8qrSNn0" }, message: /iv must decode to 16 bytes/ },
  ])("fails with decrypt_failed for $case", ({ input, message }) => {
    const request = { ...DECRYPT_VECTOR, ...input };
    const error = expectWechatErrorSync(() => decryptUserData(request));
    expect(error.kind).toBe("decrypt_failed");
    expect(error.message).toMatch(message);
    expectNoLeak(error, [DECRYPT_VECTOR.sessionKey, DECRYPT_VECTOR.iv, DECRYPT_VECTOR.encryptedData.slice(0, 16)]);
  });

  it("fails with decrypt_failed when the plaintext is not a JSON object", () => {
    const sessionKey = randomSessionKey();
    const error = expectWechatErrorSync(() => decryptUserData({ ...encryptArray(sessionKey), sessionKey }));
    expect([error.kind, error.message]).toEqual(["decrypt_failed", expect.stringMatching(/JSON but not an object/)]);
  });
});

describe("verifyWatermark", () => {
  const appid = "wxours000000000001";
  const now = () => 1_700_000_000_000;
  const fresh = { watermark: { appid, timestamp: 1_700_000_000 - 10 } };

  it("returns the watermark of fresh data for our appid", () => {
    expect(verifyWatermark(fresh, { appid, maxAgeSeconds: 60, now })).toEqual(fresh.watermark);
  });

  it.each([
    {
      case: "another appid",
      data: { watermark: { appid: "wxtheirs0000000001", timestamp: 1_700_000_000 } },
      message: /appid is not ours/,
    },
    {
      case: "a stale timestamp",
      data: { watermark: { appid, timestamp: 1_700_000_000 - 61 } },
      message: /61 s old, more than the 60 s/,
    },
    {
      case: "a timestamp from the future",
      data: { watermark: { appid, timestamp: 1_700_000_000 + 600 } },
      message: /in the future/,
    },
    { case: "no watermark", data: { openId: "o1" }, message: /no watermark/ },
    {
      case: "a string timestamp",
      data: { watermark: { appid, timestamp: "1700000000" } },
      message: /integer timestamp/,
    },
    { case: "a non-object", data: "text", message: /no watermark/ },
  ])("refuses $case with watermark_invalid", ({ data, message }) => {
    const error = expectWechatErrorSync(() => verifyWatermark(data, { appid, maxAgeSeconds: 60, now }));
    expect([error.kind, error.retryable]).toEqual(["watermark_invalid", false]);
    expect(error.message).toMatch(message);
  });

  it("decryptAndVerifyUserData does both", () => {
    const sessionKey = randomSessionKey();
    const encrypted = encryptUserData({ data: { purePhoneNumber: "13800138000", ...fresh }, sessionKey });
    expect(decryptAndVerifyUserData({ ...encrypted, sessionKey, appid, maxAgeSeconds: 60, now })).toMatchObject({
      purePhoneNumber: "13800138000",
    });
    const error = expectWechatErrorSync(() =>
      decryptAndVerifyUserData({ ...encrypted, sessionKey, appid: "wxtheirs0000000001", maxAgeSeconds: 60, now }),
    );
    expect(error.kind).toBe("watermark_invalid");
  });
});

/** encryptUserData only takes objects: a JSON array plaintext, which WeChat never sends, needs the cipher directly. */
function encryptArray(sessionKey: string) {
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-128-cbc", Buffer.from(sessionKey, "base64"), iv);
  const encryptedData = Buffer.concat([cipher.update("[1]", "utf8"), cipher.final()]).toString("base64");
  return { encryptedData, iv: iv.toString("base64") };
}
