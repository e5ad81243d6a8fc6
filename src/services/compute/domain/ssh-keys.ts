// OpenSSH public keys: parse and fingerprint an imported key (MD5 of the key blob, as Nova shows it), and generate
// an RSA key pair in OpenSSH's public format with a PEM private key, for key pairs created without a public key.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { BadRequest } from '#lib/errors.ts';

const KEY_TYPES = new Set(['ssh-rsa', 'ssh-dss', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com']);

const invalid = (): BadRequest => new BadRequest('Keypair data is invalid: failed to generate fingerprint');

const md5Fingerprint = (blob: Buffer): string => (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':');

/** The fingerprint of an OpenSSH public key line; 400 when it is not one. */
export function fingerprintOf(publicKey: string): string {
  const [type, data] = publicKey.trim().split(/\s+/);
  if (!type || !data || !KEY_TYPES.has(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw invalid();
  const blob = Buffer.from(data, 'base64');
  if (blob.length < 4) throw invalid();
  const len = blob.readUInt32BE(0);
  if (len + 4 > blob.length || blob.subarray(4, 4 + len).toString('latin1') !== type) throw invalid();
  return md5Fingerprint(blob);
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** An unsigned big-endian integer as SSH's mpint: a leading zero byte when the high bit is set. */
const mpint = (b: Buffer): Buffer => sshString(b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);

export function generateRsaKeyPair(comment: string): { publicKey: string; privateKey: string; fingerprint: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), mpint(Buffer.from(jwk.e, 'base64url')), mpint(Buffer.from(jwk.n, 'base64url'))]);
  return {
    publicKey: `ssh-rsa ${blob.toString('base64')} ${comment}`,
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    fingerprint: md5Fingerprint(blob),
  };
}
