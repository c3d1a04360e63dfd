import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Encrypts secrets at rest with AES-256-GCM under the server key: WeChat session_keys in the
 * database and the tokens remembered by the code exchange cache, so a leaked database (or cache)
 * alone cannot decrypt users' encrypted data, forge checksession signatures or replay a session.
 * Stored form: `v1.<iv>.<tag>.<ciphertext>` (base64url parts).
 *
 * Key rotation: encryption always uses the current key; decryption tries the current key, then the
 * previous ones (SESSION_KEY_ENCRYPTION_KEY_PREVIOUS). No key id is stored: GCM's tag already tells
 * a wrong key from the right one (a forged match has odds of 2^-128), so existing values need no
 * new format. Every login writes the user's session_key again under the current key, so values
 * under a previous key only live until the user's next login (and cached exchanges 5 minutes).
 */
export interface SecretBox {
  encrypt(secret: string): string;
  /** Throws UnreadableSecretError when no configured key opens `stored` (or it is not ours). */
  decrypt(stored: string): string;
}

/** A stored secret that no configured key opens: encrypted under a key that is gone, or damaged. */
export class UnreadableSecretError extends Error {
  constructor(problem: string) {
    super(`Cannot decrypt a secret stored at rest: ${problem}.`);
    this.name = "UnreadableSecretError";
  }
}

const KEY_BYTES = 32;

export function createSecretBox(serverKey: Buffer, previousKeys: readonly Buffer[] = []): SecretBox {
  for (const key of [serverKey, ...previousKeys]) {
    if (key.length !== KEY_BYTES) {
      throw new Error("The at-rest encryption key must be 32 bytes (base64 of 32 random bytes).");
    }
  }
  const decryptionKeys = [serverKey, ...previousKeys.filter((key) => !key.equals(serverKey))];
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
      const [version, iv, tag, ciphertext, extra] = stored.split(".");
      if (version !== "v1" || !iv || !tag || !ciphertext || extra !== undefined) {
        throw new UnreadableSecretError("unrecognised format");
      }
      for (const key of decryptionKeys) {
        try {
          const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
          decipher.setAuthTag(Buffer.from(tag, "base64url"));
          return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString(
            "utf8",
          );
        } catch {
          // Not this key (or not a valid tag or iv): try the next one.
        }
      }
      throw new UnreadableSecretError(
        decryptionKeys.length > 1 ? "none of the configured keys opens it" : "the configured key does not open it",
      );
    },
  };
}
