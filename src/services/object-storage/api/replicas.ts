// The proxy's replica handling: where an object's replicas live (primaries, then handoffs for absent devices), a
// streaming PUT fanned out to every replica with backpressure and a write quorum, reads that fall back from replica to
// replica, and POST/DELETE sent to every replica.
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import type { Logger } from '#lib/log.ts';
import { isStratusError } from '#lib/errors.ts';
import { handoffNodes, partitionOf, primaryNodes, replicaNodes, writeQuorum } from '../domain/ring/ring.ts';
import type { Ring } from '../domain/ring/ring.ts';
import { CorruptReplica, noQuorum, noReplica } from '../domain/errors.ts';
import type { ByteRange, ObjectAddress, ObjectMetadata, ObjectServer, ObjectState, PutObjectOptions } from '../rpc/object-server.ts';

export interface ObjectPath { account: string; container: string; object: string }

export interface Replicas {
  put(path: ObjectPath, opts: PutObjectOptions, data: Readable): Promise<ObjectMetadata>;
  /** The newest state over the replicas that answer (a tombstone newer than any data means deleted). */
  head(path: ObjectPath): Promise<ObjectState | undefined>;
  /** Opens the newest live version, trying replica after replica; corrupt ones are skipped (and quarantined). */
  open(path: ObjectPath, opts: { range?: ByteRange; verifyMaxBytes: number; wanted: ObjectMetadata }): Promise<{ metadata: ObjectMetadata; data: Readable }>;
  post(path: ObjectPath, opts: Parameters<ObjectServer['post']>[1]): Promise<boolean>;
  delete(path: ObjectPath, timestamp: string, ifDeleteAt?: number): Promise<void>;
}

/** Resolves once `s` can take more data (or is gone). */
function drained(s: PassThrough): Promise<void> {
  return new Promise((done) => {
    const finish = () => { s.off('drain', finish); s.off('close', finish); done(); };
    s.once('drain', finish);
    s.once('close', finish);
  });
}

export function createReplicas(deps: { ring: Ring; server: ObjectServer; log: Logger }): Replicas {
  const { ring, server } = deps;
  const quorum = writeQuorum(ring.replicas);

  /** The devices a write goes to: each primary, or the next handoff in its place when it is absent. */
  function writeNodes(path: ObjectPath): ObjectAddress[] {
    const partition = partitionOf(ring, path.account, path.container, path.object);
    return replicaNodes(ring, partition, (d) => server.available(d)).map((d) => ({ device: d.name, partition, ...path }));
  }

  /**
   * The devices that may hold a replica: primaries first, then as many handoffs again as there are replicas (Swift's
   * request_node_count), which is where writes go while primaries are away.
   */
  function readNodes(path: ObjectPath): ObjectAddress[] {
    const partition = partitionOf(ring, path.account, path.container, path.object);
    return [...primaryNodes(ring, partition), ...handoffNodes(ring, partition).slice(0, ring.replicas)]
      .filter((d) => server.available(d.name)).map((d) => ({ device: d.name, partition, ...path }));
  }

  return {
    async put(path, opts, data) {
      const nodes = writeNodes(path);
      if (nodes.length < quorum) throw noQuorum();
      // A sink destroyed with the body's error before its server started reading must not be an uncaught 'error':
      // the server's read of it still fails with that error.
      const sinks = nodes.map(() => new PassThrough({ highWaterMark: 64 * 1024 }).on('error', () => undefined));
      // The body is hashed once here; a replica in this process is fed these same buffers and uses this digest.
      const hash = createHash('md5');
      let digest: string | undefined;
      const bodyMd5 = () => (digest ??= hash.digest('hex'));
      const results = nodes.map((addr, i) => server.put(addr, { ...opts, bodyMd5 }, sinks[i]).catch((err: unknown) => {
        sinks[i].destroy();
        throw err;
      }));
      // Feed every replica from the one request stream; read the next chunk only when all live replicas took this one.
      const feeding = (async () => {
        try {
          for await (const chunk of data) {
            hash.update(chunk as Buffer);
            const waits: Promise<void>[] = [];
            for (const s of sinks) if (!s.destroyed && !s.write(chunk)) waits.push(drained(s));
            if (sinks.every((s) => s.destroyed)) break;
            await Promise.all(waits);
          }
          for (const s of sinks) if (!s.destroyed) s.end();
        } catch (err) {
          for (const s of sinks) s.destroy(err as Error);
        }
      })();
      const settled = await Promise.allSettled(results);
      await feeding;
      const ok = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      if (ok.length >= quorum) return ok[0];
      // A client error (bad ETag, short body) is the same on every replica: answer it rather than a 503.
      const clientError = settled.find((r) => r.status === 'rejected' && isStratusError(r.reason) && r.reason.status < 500);
      if (clientError) throw (clientError as PromiseRejectedResult).reason;
      for (const r of settled) if (r.status === 'rejected') deps.log.warn({ err: (r.reason as Error).message, path }, 'object replica write failed');
      throw noQuorum();
    },

    async head(path) {
      const answers = await Promise.all(readNodes(path).map((a) => server.head(a).catch(() => undefined)));
      let best: ObjectState | undefined;
      const ts = (s: ObjectState) => (s.kind === 'object' ? s.metadata.timestamp : s.timestamp);
      for (const a of answers) if (a && (!best || ts(a) > ts(best) || (ts(a) === ts(best) && a.kind === 'deleted'))) best = a;
      return best;
    },

    async open(path, { range, verifyMaxBytes, wanted }) {
      let lastError: unknown;
      for (const addr of readNodes(path)) {
        try {
          // One call per replica: a replica holding another version (or none) answers, and is passed over, all the same.
          const got = await server.get(addr, { range, verify: wanted.size <= verifyMaxBytes, version: wanted });
          if (got?.metadata.timestamp === wanted.timestamp) return got;
          got?.data.destroy();
        } catch (err) {
          lastError = err;
          if (err instanceof CorruptReplica) deps.log.warn({ device: addr.device, path }, 'corrupt object replica quarantined');
          else deps.log.warn({ err: (err as Error).message, device: addr.device }, 'object replica read failed');
        }
      }
      if (lastError) deps.log.warn({ path }, 'no replica could serve the object');
      throw noReplica();
    },

    async post(path, opts) {
      const answers = await Promise.allSettled(readNodes(path).map((a) => server.post(a, opts)));
      return answers.some((a) => a.status === 'fulfilled' && a.value);
    },

    async delete(path, timestamp, ifDeleteAt) {
      const nodes = writeNodes(path);
      const answers = await Promise.allSettled(nodes.map((a) => server.delete(a, { timestamp, ifDeleteAt })));
      if (answers.filter((a) => a.status === 'fulfilled').length < quorum) throw noQuorum();
      // Replicas left on handoffs are tombstoned too, so an old version cannot come back from them.
      const others = readNodes(path).filter((a) => !nodes.some((n) => n.device === a.device));
      await Promise.allSettled(others.map(async (a) => { if (await server.head(a)) await server.delete(a, { timestamp, ifDeleteAt }); }));
    },
  };
}
