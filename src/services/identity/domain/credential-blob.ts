// Credential blobs (EC2 secrets, TOTP seeds, certificates) are encrypted at rest with AES-256-GCM, as Keystone's
// Fernet credential provider does, using the primary key of the separate credential key repository.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { KeyRing } from './key-repository.ts';

export interface EncryptedBlob {
  /** base64(iv (12) | ciphertext | tag (16)) */
  encryptedBlob: string;
  /** Hex id of the key that encrypted it, so decryption picks the right key after a rotation. */
  keyHash: string;
}

/**
 * Encrypts a blob with the ring's primary key. The credential id is authenticated data, so an encrypted blob copied
 * into another credential's row fails to decrypt instead of handing one user's secret to another.
 */
export function encryptCredentialBlob(ring: KeyRing, credentialId: string, blob: string): EncryptedBlob {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.primary.secret, iv);
  cipher.setAAD(Buffer.from(credentialId, 'utf8'));
  const body = Buffer.concat([cipher.update(blob, 'utf8'), cipher.final()]);
  return { encryptedBlob: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64'), keyHash: ring.primary.id.toString('hex') };
}

/** The plaintext blob, or undefined when its key is no longer in the ring or the data was tampered with. */
export function decryptCredentialBlob(ring: KeyRing, credentialId: string, stored: { encrypted_blob: string; key_hash: string }): string | undefined {
  const key = ring.byId.get(stored.key_hash);
  if (!key) return undefined;
  const raw = Buffer.from(stored.encrypted_blob, 'base64');
  if (raw.length < 12 + 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.secret, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(credentialId, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** Keystone names an EC2 credential after its access key: the SHA-256 hex of it, so ec2tokens can find it by key. */
export function ec2CredentialId(access: string): string {
  return createHash('sha256').update(access, 'utf8').digest('hex');
}
