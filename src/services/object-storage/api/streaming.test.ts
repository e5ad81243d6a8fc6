// Streaming with backpressure: a large object (or an archive being extracted) goes to three replicas and comes back
// without the process's memory growing with its size. (node:http on the client side: fetch keeps a streamed request body alive.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { startObjectStorage } from './test-object-storage.ts';
import { generatedTar } from './test-tar.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

const MiB = 1024 * 1024;

/** `total` bytes made chunk by chunk on demand, hashed as they go. */
function generated(total: number, hash: ReturnType<typeof createHash>): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const chunk = Buffer.alloc(Math.min(MiB, total - sent), (sent / MiB) % 251);
      hash.update(chunk);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

function send(url: string, method: string, headers: Record<string, string>, body?: Readable): Promise<IncomingMessage> {
  const u = new URL(url);
  return new Promise((done, fail) => {
    const req = request({ host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method, headers }, done);
    req.on('error', fail);
    if (body) body.pipe(req);
    else req.end();
  });
}

describe('object storage streaming', () => {
  let os: TestObjectStorage;
  let base: string;
  before(async () => {
    // Objects above 1 MiB are checked as they stream rather than before.
    os = await startObjectStorage({ verify_on_read_max_bytes: MiB });
    base = os.account(os.as.alice);
    await os.call('PUT', `${base}/big`, { token: os.as.alice.token });
  });
  after(() => os?.close());

  it('a 192 MiB chunked upload to 3 replicas and its download keep memory far below the object size', async () => {
    const size = 192 * MiB;
    const baseline = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.arrayBuffers - baseline.arrayBuffers, m.heapUsed - baseline.heapUsed);
    }, 10);
    try {
      const sent = createHash('md5');
      const token = os.as.alice.token;
      const put = await send(`${os.url}${base}/big/blob`, 'PUT', { 'x-auth-token': token, 'transfer-encoding': 'chunked' }, generated(size, sent));
      put.resume();
      assert.equal(put.statusCode, 201);
      const etag = sent.digest('hex');
      assert.equal(put.headers.etag, etag);
      const got = await send(`${os.url}${base}/big/blob`, 'GET', { 'x-auth-token': token });
      assert.equal(got.statusCode, 200);
      const received = createHash('md5');
      let bytes = 0;
      for await (const chunk of got) { received.update(chunk as Buffer); bytes += (chunk as Buffer).length; }
      assert.equal(bytes, size);
      assert.equal(received.digest('hex'), etag);
    } finally {
      clearInterval(sampler);
    }
    // Buffers waiting for the garbage collector count too, so the bound is loose; holding the object would exceed it.
    assert.ok(peak < 96 * MiB, `memory grew by ${(peak / MiB).toFixed(0)} MiB for a ${size / MiB} MiB object`);
  });

  it('a 192 MiB SLO over two ranges of that object streams out without memory growing with its size', async () => {
    const token = os.as.alice.token;
    const half = 96 * MiB;
    const manifest = JSON.stringify([{ path: '/big/blob', range: `0-${half - 1}` }, { path: '/big/blob', range: `${half}-${2 * half - 1}` }]);
    const put = await os.call('PUT', `${base}/big/slo?multipart-manifest=put`, { token, body: manifest });
    assert.equal(put.status, 201, put.text);
    const baseline = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.arrayBuffers - baseline.arrayBuffers, m.heapUsed - baseline.heapUsed);
    }, 10);
    let bytes = 0;
    try {
      const got = await send(`${os.url}${base}/big/slo`, 'GET', { 'x-auth-token': token });
      assert.equal(got.statusCode, 200);
      for await (const chunk of got) bytes += (chunk as Buffer).length;
    } finally {
      clearInterval(sampler);
    }
    assert.equal(bytes, 2 * half);
    assert.ok(peak < 96 * MiB, `memory grew by ${(peak / MiB).toFixed(0)} MiB for a ${(2 * half) / MiB} MiB large object`);
  });

  it('a 192 MiB archive extracted into the account keeps memory far below the archive size', async () => {
    const size = 192 * MiB;
    const baseline = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.arrayBuffers - baseline.arrayBuffers, m.heapUsed - baseline.heapUsed);
    }, 10);
    const sent = createHash('md5');
    try {
      const archive = generatedTar('big/archived.bin', size, (offset, chunk) => { chunk.fill((offset / MiB) % 251); sent.update(chunk); });
      const put = await send(`${os.url}${base}?extract-archive=tar`, 'PUT', { 'x-auth-token': os.as.alice.token, 'transfer-encoding': 'chunked', accept: 'application/json' }, archive);
      let text = '';
      for await (const chunk of put) text += String(chunk);
      assert.equal(put.statusCode, 200);
      assert.deepEqual(JSON.parse(text), { 'Response Status': '201 Created', 'Response Body': '', 'Number Files Created': 1, Errors: [] });
    } finally {
      clearInterval(sampler);
    }
    const head = await os.call('HEAD', `${base}/big/archived.bin`, { token: os.as.alice.token });
    assert.equal(head.headers.get('content-length'), String(size));
    assert.equal(head.headers.get('etag'), sent.digest('hex'));
    // As above, garbage not yet collected counts: the bound is loose, but holding the archive would exceed it.
    assert.ok(peak < 96 * MiB, `memory grew by ${(peak / MiB).toFixed(0)} MiB for a ${size / MiB} MiB archive`);
  });
});
