// SESSION_KEY_ENCRYPTION_KEY_PREVIOUS: the setting itself (the rotation's behaviour is proven in
// packages/api/test/key-rotation.test.ts).
import { describe, expect, it } from "vitest";
import { parseServerEnv } from "../src/env.ts";

const newKey = Buffer.alloc(32, 1).toString("base64");
const oldKey = Buffer.alloc(32, 2).toString("base64");

describe("SESSION_KEY_ENCRYPTION_KEY_PREVIOUS", () => {
  it("is optional, and read next to the current key", () => {
    expect(parseServerEnv({}).SESSION_KEY_ENCRYPTION_KEY_PREVIOUS).toBeUndefined();
    const env = parseServerEnv({ SESSION_KEY_ENCRYPTION_KEY: newKey, SESSION_KEY_ENCRYPTION_KEY_PREVIOUS: oldKey });
    expect(env.SESSION_KEY_ENCRYPTION_KEY_PREVIOUS).toBe(oldKey);
  });

  it("must be a 32-byte key, without echoing it", () => {
    const bad = "c2hvcnQta2V5";
    const refusal = () =>
      parseServerEnv({ SESSION_KEY_ENCRYPTION_KEY: newKey, SESSION_KEY_ENCRYPTION_KEY_PREVIOUS: bad });
    expect(refusal).toThrow(/SESSION_KEY_ENCRYPTION_KEY_PREVIOUS: must be base64 of 32 random bytes/);
    expect(refusal).not.toThrow(new RegExp(bad));
  });

  it("needs the new key it is rotated out for", () => {
    expect(() => parseServerEnv({ SESSION_KEY_ENCRYPTION_KEY_PREVIOUS: oldKey })).toThrow(
      /SESSION_KEY_ENCRYPTION_KEY_PREVIOUS: needs SESSION_KEY_ENCRYPTION_KEY/,
    );
  });
});
