// An in-process bus that behaves like a remote one (later tick, copied messages), so tests and all-in-one runs
// exercise the same semantics as RabbitMQ without a broker.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type {
  Bus, Notification, NotificationHandler, RpcEndpoint, RpcTarget, SendOptions, Subscription,
} from './types.ts';
import { DEFAULT_TIMEOUT_MS, dispatch } from './dispatch.ts';
import type { Envelope, Reply } from './dispatch.ts';
import { MessagingTimeout, busClosed, fromWireError, toWireError } from './errors.ts';

interface Server {
  topic: string;
  server: string;
  endpoint: RpcEndpoint;
  log: Logger;
}

interface Pool {
  handlers: Array<{ handler: NotificationHandler; log: Logger }>;
  /** Like a durable queue: what arrives while the pool has no handler waits for the next one. */
  backlog: Notification[];
}

/** The shared state several buses attach to, as processes attach to one broker. */
export interface MemoryBroker {
  servers: Map<string, Server[]>;
  nextIndex: Map<string, number>;
  pools: Map<string, Pool>;
}

const MAX_BACKLOG = 10_000;

export function createMemoryBroker(): MemoryBroker {
  return { servers: new Map(), nextIndex: new Map(), pools: new Map() };
}

/** Round-robin over the candidates, keyed by queue name, as competing consumers on a queue would be. */
function pickNext<T>(broker: MemoryBroker, queue: string, candidates: T[]): T | undefined {
  if (candidates.length === 0) return undefined;
  const i = (broker.nextIndex.get(queue) ?? 0) % candidates.length;
  broker.nextIndex.set(queue, i + 1);
  return candidates[i];
}

function pickServer(broker: MemoryBroker, target: RpcTarget): Server | undefined {
  const all = broker.servers.get(target.topic) ?? [];
  if (target.server === undefined) return pickNext(broker, target.topic, all);
  return pickNext(broker, `${target.topic}.${target.server}`, all.filter((s) => s.server === target.server));
}

function later(fn: () => void): void {
  setImmediate(fn);
}

/**
 * A bus on `broker` (a fresh private one by default). Every message is structuredClone'd and delivered on a later
 * tick; a call nobody serves rejects with MessagingTimeout at its deadline, and a cast nobody serves is dropped, as
 * with an undeclared AMQP queue. close() ends only this bus's subscriptions and calls.
 */
export function createMemoryBus(opts: { broker?: MemoryBroker; log?: Logger } = {}): Bus {
  const broker = opts.broker ?? createMemoryBroker();
  const log = opts.log ?? silentLogger();
  const subscriptions = new Set<Subscription>();
  const pendingCalls = new Set<(err: Error) => void>();
  let closed = false;

  function envelope(method: string, args: unknown, o: SendOptions): Envelope {
    if (closed) throw busClosed();
    return structuredClone({ method, version: o.version, args, context: o.context });
  }

  function deliver(server: Server, env: Envelope, onReply?: (r: Reply) => void): void {
    later(() => {
      void dispatch(server.endpoint, env, { log: server.log, topic: server.topic, expectsReply: !!onReply })
        .then((reply) => onReply?.(reply));
    });
  }

  function track(sub: Subscription): Subscription {
    subscriptions.add(sub);
    return sub;
  }

  return {
    async call<R>(target: RpcTarget, method: string, args: unknown, o: SendOptions): Promise<R> {
      const env = envelope(method, args, o);
      const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      return new Promise<R>((resolve, reject) => {
        const fail = (err: Error): void => {
          clearTimeout(timer);
          pendingCalls.delete(fail);
          reject(err);
        };
        const timer = setTimeout(() => fail(new MessagingTimeout({ topic: target.topic, method, timeoutMs })), timeoutMs);
        pendingCalls.add(fail);
        later(() => {
          const server = pickServer(broker, target);
          if (!server) return; // nobody listening: the deadline answers
          deliver(server, env, (reply) => {
            if (!pendingCalls.has(fail)) return; // timed out or closed meanwhile
            clearTimeout(timer);
            pendingCalls.delete(fail);
            let copy: Reply;
            try {
              copy = structuredClone(reply);
            } catch (err) {
              copy = { ok: false, error: toWireError(new Error(`RPC result could not be copied: ${(err as Error).message}`)) };
            }
            if (copy.ok) resolve(copy.result as R);
            else reject(fromWireError(copy.error));
          });
        });
      });
    },

    async cast(target, method, args, o) {
      const env = envelope(method, args, o);
      later(() => {
        const server = pickServer(broker, target);
        if (server) deliver(server, env);
        else log.debug({ topic: target.topic, server: target.server, method }, 'cast dropped: nobody serves it');
      });
    },

    async fanout(topic, method, args, o) {
      const env = envelope(method, args, o);
      later(() => {
        for (const server of broker.servers.get(topic) ?? []) deliver(server, structuredClone(env));
      });
    },

    async serve(target, endpoint) {
      if (closed) throw busClosed();
      const entry: Server = { ...target, endpoint, log };
      broker.servers.set(target.topic, [...(broker.servers.get(target.topic) ?? []), entry]);
      const sub: Subscription = {
        async close() {
          subscriptions.delete(sub);
          const rest = (broker.servers.get(target.topic) ?? []).filter((s) => s !== entry);
          if (rest.length > 0) broker.servers.set(target.topic, rest);
          else broker.servers.delete(target.topic);
        },
      };
      return track(sub);
    },

    async notify(n) {
      if (closed) throw busClosed();
      const full: Notification = structuredClone({ ...n, timestamp: new Date().toISOString(), messageId: randomUUID() });
      later(() => {
        for (const [name, pool] of broker.pools) {
          const h = pickNext(broker, `notifications.${name}`, pool.handlers);
          if (h) deliverNotification(h, structuredClone(full));
          else if (pool.backlog.length < MAX_BACKLOG) pool.backlog.push(structuredClone(full));
        }
      });
    },

    async onNotification(poolName, handler) {
      if (closed) throw busClosed();
      const pool = broker.pools.get(poolName) ?? { handlers: [], backlog: [] };
      broker.pools.set(poolName, pool);
      const entry = { handler, log };
      pool.handlers = [...pool.handlers, entry];
      const waiting = pool.backlog.splice(0);
      later(() => { for (const n of waiting) deliverNotification(entry, n); });
      const sub: Subscription = {
        async close() {
          subscriptions.delete(sub);
          pool.handlers = pool.handlers.filter((h) => h !== entry);
        },
      };
      return track(sub);
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      for (const fail of [...pendingCalls]) fail(busClosed());
    },
  };
}

function deliverNotification(h: { handler: NotificationHandler; log: Logger }, n: Notification): void {
  later(() => {
    Promise.resolve()
      .then(() => h.handler(n))
      .catch((err: unknown) => h.log.error({ err, eventType: n.eventType, requestId: n.context.requestId },
        'notification handler failed'));
  });
}
