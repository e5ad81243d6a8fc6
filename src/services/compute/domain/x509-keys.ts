// x509 key pairs (Nova's WinRM client certificates): fingerprint an imported PEM certificate the way Nova shows it
// (SHA-1 of the DER, lowercase colon hex), and generate a self-signed client certificate with its private key for
// key pairs created without a public key before 2.92.
import { execFile } from 'node:child_process';
import { X509Certificate, generateKeyPair } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BadRequest } from '#lib/errors.ts';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** The fingerprint of a PEM X.509 certificate; 400 when the text is not one. */
export function x509FingerprintOf(pem: string): string {
  try {
    // X509Certificate would also accept DER bytes; Nova only takes PEM text.
    if (!PEM_CERT.test(pem)) throw new Error('no PEM certificate found');
    return new X509Certificate(pem).fingerprint.toLowerCase();
  } catch (err) {
    throw new BadRequest(`Keypair data is invalid: failed to generate X509 fingerprint. Error message: ${(err as Error).message}`);
  }
}

/**
 * Node can sign but not build certificates, so the certificate is made by the openssl CLI (as Nova did). The key
 * goes through a private temporary file: openssl cannot open /dev/stdin when Node's stdin is a socket pair.
 */
async function selfSign(privateKeyPem: string, userId: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-x509-'));
  try {
    const keyFile = join(dir, 'key.pem');
    await writeFile(keyFile, privateKeyPem, { mode: 0o600 });
    const args = ['req', '-x509', '-config', '/dev/null', '-key', keyFile, '-subj', `/CN=${userId}`, '-days', '3650', '-sha256',
      '-addext', 'extendedKeyUsage=clientAuth', '-addext', `subjectAltName=otherName:msUPN;UTF8:${userId}@localhost`];
    return await new Promise((resolve, reject) => {
      execFile('openssl', args, { timeout: 10_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`openssl req failed: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function generateX509KeyPair(userId: string): Promise<{ publicKey: string; privateKey: string; fingerprint: string }> {
  // The subject is built from the user id; refuse anything openssl's -subj syntax would interpret.
  if (!/^[A-Za-z0-9_.@-]+$/.test(userId)) throw new BadRequest('Keypair data is invalid: the user id cannot be a certificate subject');
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const certificate = await selfSign(privateKeyPem, userId);
  return { publicKey: certificate, privateKey: privateKeyPem, fingerprint: x509FingerprintOf(certificate) };
}
