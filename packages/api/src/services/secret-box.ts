import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Encrypts secrets at rest with AES-256-GCM under the server key: WeChat session_keys in the
 * database and the tokens remembered by the code exchange cache, so a leaked database (or cache)
 * alone cannot decrypt users' encrypted data, forge checksession signatures or replay a session.
 * Stored form: `v1.<iv>.<tag>.<ciphertext>` (base64url parts); the version allows key rotation later.
 */
export interface SecretBox {
  encrypt(secret: string): string;
  decrypt(stored: string): string;
}

export function createSecretBox(serverKey: Buffer): SecretBox {
  if (serverKey.length !== 32) {
    throw new Error("The at-rest encryption key must be 32 bytes (base64 of 32 random bytes).");
  }
  return {
    encrypt(secret) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", serverKey, iv);
      const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
      return ["v1", iv, cipher.getAuthTag(), ciphertext]
        .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
        .join(".");
    },
    decrypt(stored) {
      const [version, iv, tag, ciphertext] = stored.split(".");
      if (version !== "v1" || !iv || !tag || !ciphertext) throw new Error("Unrecognised encrypted secret format.");
      const decipher = createDecipheriv("aes-256-gcm", serverKey, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
    },
  };
}
