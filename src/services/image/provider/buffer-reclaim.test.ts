// Upload memory stays flat: the socket buffers of an upload are freed as it streams, instead of piling up until V8's
// external-memory limit forces a full GC (which let RSS grow by ~64 MiB whatever the image size).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { startImage } from '../api/test-image.ts';
import type { TestImage } from '../api/test-image.ts';

const MiB = 1024 * 1024;
let t: TestImage;
before(async () => { t = await startImage(); });
after(async () => { await t?.close(); });

/** PUTs `total` bytes of one repeated block, so the client side allocates nothing while it sends. */
async function uploadRepeated(id: string, block: Buffer, total: number): Promise<number> {
  const req = request(`${t.url}/v2/images/${id}/file`, {
    method: 'PUT', headers: { 'x-auth-token': t.as.alice.token, 'content-type': 'application/octet-stream', 'content-length': total },
  });
  const answered = once(req, 'response');
  for (let sent = 0; sent < total; sent += block.length) if (!req.write(block)) await once(req, 'drain');
  req.end();
  const [res] = (await answered) as [IncomingMessage];
  res.resume();
  return res.statusCode ?? 0;
}

describe('upload memory', () => {
  it('a 96 MiB upload keeps at most a few MiB of dead socket buffers', async () => {
    const img = await t.create(t.as.alice, { name: 'flat', disk_format: 'raw', container_format: 'bare' });
    const block = randomBytes(MiB);
    const base = process.memoryUsage().arrayBuffers;
    let peak = base;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().arrayBuffers); }, 2);
    const status = await uploadRepeated(img.id, block, 96 * MiB);
    clearInterval(sampler);
    assert.equal(status, 204);
    const growthMiB = (peak - base) / MiB;
    assert.ok(growthMiB < 24, `array buffers grew by ${growthMiB.toFixed(1)} MiB during the upload`);
  });
});
