// x509 key pairs: importing a PEM certificate (Nova's SHA-1-of-DER fingerprint), generating a client certificate
// before 2.92, and refusing what is not a certificate without storing anything.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

describe('x509 key pairs', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute(); });
  after(async () => { await c?.close(); });

  const post = (version: string, keypair: Record<string, unknown>) =>
    c.call('POST', '/v2.1/os-keypairs', { token: c.as.alice.token, version, body: { keypair } });

  it('generates a client certificate for the user before 2.92, and imports it back with the same fingerprint', async () => {
    const gen = await post('2.91', { name: 'cert', type: 'x509' });
    assert.equal(gen.status, 201, JSON.stringify(gen.body));
    const { public_key: pem, private_key: key, fingerprint, type } = gen.body.keypair;
    assert.equal(type, 'x509');
    const cert = new X509Certificate(pem);
    assert.equal(cert.subject, `CN=${c.as.alice.userId}`);
    assert.ok(cert.checkPrivateKey(createPrivateKey(key)), 'the returned private key matches the certificate');
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    assert.equal(fingerprint, (createHash('sha1').update(der).digest('hex').match(/../g) ?? []).join(':'));

    const imported = await post('2.92', { name: 'cert.copy', type: 'x509', public_key: pem });
    assert.equal(imported.status, 201, JSON.stringify(imported.body));
    assert.equal(imported.body.keypair.fingerprint, fingerprint);
    assert.equal(imported.body.keypair.private_key, undefined);
    const shown = await c.call('GET', '/v2.1/os-keypairs/cert.copy', { token: c.as.alice.token, version: '2.92' });
    assert.equal(shown.body.keypair.type, 'x509');
    assert.equal(shown.body.keypair.public_key, pem.trim());
  });

  it('refuses what is not a PEM certificate, and an ssh key imported as x509, storing nothing', async () => {
    const ssh = (await post('2.91', { name: 'an-ssh-key' })).body.keypair.public_key as string;
    for (const [name, publicKey] of [['junk', 'not a certificate'], ['ssh-as-x509', ssh],
      ['broken', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----']]) {
      const res = await post('2.2', { name, type: 'x509', public_key: publicKey });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.badRequest.message, /^Keypair data is invalid: failed to generate X509 fingerprint/);
      assert.equal((await c.call('GET', `/v2.1/os-keypairs/${name}`, { token: c.as.alice.token, version: '2.2' })).status, 404);
    }
  });

  it('needs 2.2 for a type and 2.92 forbids generating one', async () => {
    assert.equal((await post('2.1', { name: 'old', type: 'x509' })).status, 400);
    const gen = await post('2.92', { name: 'new', type: 'x509' });
    assert.equal(gen.status, 400);
    assert.match(gen.body.badRequest.message, /'public_key' is a required property/);
  });
});
