// Moves a guest's disk files from one qemu-driver host to another for a cold migration or resize across hosts. The
// source offers the files on a small HTTP endpoint at its host IP, each readable once with a random bearer secret
// that expires; the destination pulls them, streaming to disk with backpressure and checking size and SHA-256.
// The endpoint listens only while an offer is open, so an idle host has no transfer port.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '#lib/log.ts';
import type { DiskOffer, OfferedFile } from '../hypervisor-driver.ts';

/** The names a guest directory's files may have: no separators, no dot files, so a name can never leave its directory. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const OFFER_ID = /^[0-9a-f]{32}$/;

interface OpenOffer {
  owner: string;
  tokenHash: Buffer;
  expires: number;
  files: Map<string, OfferedFile & { path: string }>;
  timer: NodeJS.Timeout;
}

export interface DiskOfferServer {
  /**
   * Offers `files` (name → path) for `ttlMs` on behalf of `owner` (an instance uuid): hashes each file, opens the
   * endpoint if needed and returns what the destination needs. A new offer for the same owner replaces the old one.
   */
  offer(owner: string, files: { name: string; path: string }[], ttlMs: number): Promise<DiskOffer>;
  /** Withdraws the owner's offer (confirm, revert, failure); the endpoint closes when no offer is left. Idempotent. */
  revoke(owner: string): Promise<void>;
  close(): Promise<void>;
}

const sha256 = (data: string) => createHash('sha256').update(data).digest();

/** Hashes what streams through, counting bytes. */
function digesting(): { transform: Transform; result(): { size: number; sha256: string } } {
  const hash = createHash('sha256');
  let size = 0;
  const transform = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { transform, result: () => ({ size, sha256: hash.digest('hex') }) };
}

async function describeFile(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

export function createDiskOfferServer(opts: { hostIp: () => string | Promise<string>; log: Logger }): DiskOfferServer {
  const offers = new Map<string, OpenOffer>();
  const byOwner = new Map<string, string>();
  let server: Server | undefined;
  let listening: Promise<string> | undefined;

  function deny(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(text);
  }

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const [, id, name, ...rest] = (req.url ?? '').split('?')[0].split('/');
    const offer = OFFER_ID.test(id ?? '') ? offers.get(id) : undefined;
    const presented = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    // One answer for an unknown offer and a wrong secret: the endpoint tells a guesser nothing.
    if (req.method !== 'GET' || rest.length || !offer || !presented || !timingSafeEqual(sha256(presented), offer.tokenHash) || Date.now() > offer.expires) {
      opts.log.warn({ peer: req.socket.remoteAddress, offer: id?.slice(0, 8) }, 'disk transfer refused');
      return deny(res, 403, 'Forbidden');
    }
    const file = offer.files.get(name ?? '');
    if (!file) return deny(res, 404, 'Not Found');
    // Each file once: a second reader of the same secret gets nothing.
    offer.files.delete(file.name);
    if (!offer.files.size) forget(id);
    const started = Date.now();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(file.size) });
    pipeline(createReadStream(file.path), res)
      .then(() => opts.log.info({ offer: offer.owner, file: file.name, bytes: file.size, ms: Date.now() - started }, 'disk file sent'))
      .catch((err: unknown) => opts.log.warn({ offer: offer.owner, file: file.name, err: (err as Error).message }, 'disk file transfer broke off'));
  }

  function forget(id: string): void {
    const offer = offers.get(id);
    if (!offer) return;
    clearTimeout(offer.timer);
    offers.delete(id);
    if (byOwner.get(offer.owner) === id) byOwner.delete(offer.owner);
    if (!offers.size) void stopListening();
  }

  async function stopListening(): Promise<void> {
    const s = server;
    server = undefined;
    listening = undefined;
    if (!s) return;
    // Transfers under way finish; the port closes for new ones.
    const closed = new Promise<void>((done) => s.close(() => done()));
    s.closeIdleConnections();
    await closed;
  }

  function listen(): Promise<string> {
    listening ??= (async () => {
      const ip = await opts.hostIp();
      const s = createServer(serve);
      server = s;
      await new Promise<void>((done, fail) => {
        s.once('error', fail);
        s.listen(0, ip, () => { s.off('error', fail); done(); });
      });
      const { port } = s.address() as { port: number };
      return `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
    })();
    listening.catch(() => { listening = undefined; server = undefined; });
    return listening;
  }

  return {
    async offer(owner, files, ttlMs) {
      const described = new Map<string, OfferedFile & { path: string }>();
      for (const f of files) {
        if (!FILE_NAME.test(f.name)) throw new Error(`'${f.name}' cannot be offered: not a plain file name`);
        described.set(f.name, { name: f.name, path: f.path, ...await describeFile(f.path) });
      }
      await this.revoke(owner);
      const base = await listen();
      const id = randomBytes(16).toString('hex');
      const token = randomBytes(32).toString('base64url');
      const expires = Date.now() + ttlMs;
      const timer = setTimeout(() => forget(id), ttlMs);
      timer.unref();
      offers.set(id, { owner, tokenHash: sha256(token), expires, files: described, timer });
      byOwner.set(owner, id);
      opts.log.info({ instance: owner, files: [...described.keys()], url: base }, 'disk files offered');
      return {
        url: `${base}/${id}`, token, expiresAt: new Date(expires).toISOString(),
        files: [...described.values()].map(({ name, size, sha256: hash }) => ({ name, size, sha256: hash })),
      };
    },
    async revoke(owner) {
      const id = byOwner.get(owner);
      if (id) forget(id);
    },
    async close() {
      for (const id of [...offers.keys()]) forget(id);
      await stopListening();
    },
  };
}

/** GETs one offered file into `dest` through a `.part` file, checking its size and SHA-256; removes the part on failure. */
async function pullFile(offer: DiskOffer, file: OfferedFile, dest: string, signal?: AbortSignal): Promise<void> {
  const part = `${dest}.part`;
  try {
    const res = await new Promise<IncomingMessage>((done, fail) => {
      const req = request(`${offer.url}/${file.name}`, { headers: { authorization: `Bearer ${offer.token}` }, agent: false, signal }, done);
      req.setTimeout(60_000, () => req.destroy(new Error('the source host stopped answering')));
      req.once('error', fail);
      req.end();
    });
    if (res.statusCode !== 200) {
      res.resume();
      throw new Error(`the source host refused ${file.name}: HTTP ${res.statusCode}`);
    }
    const d = digesting();
    // pipeline pauses the socket while the disk is slower than the network.
    await pipeline(res, d.transform, createWriteStream(part, { mode: 0o640 }), ...(signal ? [{ signal }] : []));
    const got = d.result();
    if (got.size !== file.size) throw new Error(`${file.name}: received ${got.size} bytes, the source offered ${file.size}`);
    if (got.sha256 !== file.sha256) throw new Error(`${file.name}: the received data does not match the source's SHA-256`);
    await rename(part, dest);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
}

/**
 * Pulls every file of `offer` into `destDir` (which must exist), refusing names that are not plain file names or not
 * in `allowed`. Returns the names pulled. On failure, the files this call wrote are removed.
 */
export async function pullDisks(offer: DiskOffer, destDir: string, opts: { allowed: readonly string[]; signal?: AbortSignal; log: Logger }): Promise<string[]> {
  for (const f of offer.files) {
    if (!FILE_NAME.test(f.name) || !opts.allowed.includes(f.name)) throw new Error(`the source offered '${f.name}', which is not a guest disk file`);
    if (!Number.isSafeInteger(f.size) || f.size < 0 || !/^[0-9a-f]{64}$/.test(f.sha256)) throw new Error(`the source described '${f.name}' badly`);
  }
  const url = new URL(offer.url);
  if (url.protocol !== 'http:') throw new Error(`the source's offer is not an http URL: ${url.protocol}`);
  const pulled: string[] = [];
  const started = Date.now();
  try {
    for (const f of offer.files) {
      await pullFile(offer, f, join(destDir, f.name), opts.signal);
      pulled.push(f.name);
    }
  } catch (err) {
    await Promise.all(pulled.map((n) => rm(join(destDir, n), { force: true })));
    throw err;
  }
  const bytes = offer.files.reduce((n, f) => n + f.size, 0);
  opts.log.info({ from: url.host, files: pulled, bytes, ms: Date.now() - started }, 'disk files pulled');
  return pulled;
}
