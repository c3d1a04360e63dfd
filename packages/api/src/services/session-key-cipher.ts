import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Encrypts WeChat session_keys at rest with AES-256-GCM under a server key, so a leaked database alone
 * cannot decrypt users' encrypted data or forge checksession signatures.
 * Stored form: `v1.<iv>.<tag>.<ciphertext>` (base64url parts); the version allows key rotation later.
 */
export interface SessionKeyCipher {
  encrypt(sessionKey: string): string;
  decrypt(stored: string): string;
}

export function createSessionKeyCipher(serverKey: Buffer): SessionKeyCipher {
  if (serverKey.length !== 32) {
    throw new Error("The session key encryption key must be 32 bytes (base64 of 32 random bytes).");
  }
  return {
    encrypt(sessionKey) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", serverKey, iv);
      const ciphertext = Buffer.concat([cipher.update(sessionKey, "utf8"), cipher.final()]);
      return ["v1", iv, cipher.getAuthTag(), ciphertext]
        .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
        .join(".");
    },
    decrypt(stored) {
      const [version, iv, tag, ciphertext] = stored.split(".");
      if (version !== "v1" || !iv || !tag || !ciphertext) throw new Error("Unrecognised encrypted session_key format.");
      const decipher = createDecipheriv("aes-256-gcm", serverKey, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
    },
  };
}
