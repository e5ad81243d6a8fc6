// The streaming tar reader: member names from ustar, GNU and pax headers, bodies streamed and skipped when unread,
// and 400 for archives that are corrupt or cut short.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readTar } from './tar-reader.ts';
import { tarArchive } from './test-tar.ts';

const chunked = (b: Buffer, size = 700) => Readable.from(Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size)));
const text = async (r: Readable) => { const parts: Buffer[] = []; for await (const c of r) parts.push(c as Buffer); return Buffer.concat(parts).toString(); };

describe('tar reader', () => {
  it('reads names from ustar prefixes, GNU long names and pax paths, with each member\'s bytes', async () => {
    const long = `${'d'.repeat(120)}/file.txt`;
    const archive = tarArchive([
      { name: 'dir', type: '5' },
      { name: 'one.txt', data: 'first file', ustarPrefix: 'c1/sub' },
      { name: long, data: 'long name', gnuLongName: true },
      { name: 'ignored', data: 'pax named', pax: { path: 'c2/émoji-✓.txt', 'SCHILY.xattr.user.meta.color': 'blue' } },
      { name: 'link', type: '2' },
    ]);
    const seen: [string | undefined, string, string][] = [];
    for await (const e of readTar(chunked(archive))) seen.push([e.name, e.kind, await text(e.body)]);
    assert.deepEqual(seen, [
      ['dir', 'directory', ''], ['c1/sub/one.txt', 'file', 'first file'], [long, 'file', 'long name'], ['c2/émoji-✓.txt', 'file', 'pax named'], ['link', 'other', ''],
    ]);
  });

  it('skips the bytes of a member whose body is not read, or read only in part', async () => {
    const big = Buffer.alloc(5000, 0x61);
    const archive = tarArchive([{ name: 'a', data: big }, { name: 'b', data: big }, { name: 'c', data: 'last' }]);
    const names: string[] = [];
    let last = '';
    for await (const e of readTar(chunked(archive, 333))) {
      names.push(e.name!);
      if (e.name === 'b') for await (const chunk of e.body) { void chunk; break; }
      if (e.name === 'c') last = await text(e.body);
    }
    assert.deepEqual(names, ['a', 'b', 'c']);
    assert.equal(last, 'last');
  });

  it('keeps pax metadata records for the member they precede only', async () => {
    const archive = tarArchive([{ name: 'x', data: '1', pax: { 'SCHILY.xattr.user.mime_type': 'text/x-one' } }, { name: 'y', data: '2' }]);
    const pax: Record<string, string>[] = [];
    for await (const e of readTar(chunked(archive))) pax.push(e.pax);
    assert.deepEqual(pax, [{ 'SCHILY.xattr.user.mime_type': 'text/x-one' }, {}]);
  });

  it('fails with 400 on a bad checksum and on an archive cut inside a member', async () => {
    const archive = tarArchive([{ name: 'f', data: Buffer.alloc(2000, 1) }]);
    const corrupt = Buffer.from(archive);
    corrupt[10] ^= 0xff;
    await assert.rejects(async () => { for await (const e of readTar(chunked(corrupt))) void e; }, { status: 400, message: /Invalid Tar File: bad checksum/ });
    const cut = archive.subarray(0, 512 + 1000);
    await assert.rejects(async () => { for await (const e of readTar(chunked(cut))) await text(e.body); }, { status: 400, message: /unexpected end of data/ });
  });
});
