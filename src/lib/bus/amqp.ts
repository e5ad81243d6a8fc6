// The RabbitMQ transport: oslo.messaging's topology (topic exchange, `topic` and `topic.server` queues, a fanout
// exchange per topic, per-bus reply queues, durable notification pools) over a self-healing connection.
import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { Logger } from '../log.ts';
import { createLogger } from '../log.ts';
import type { Bus, Notification, NotificationHandler, RpcEndpoint, RpcTarget, SendOptions, ServeTarget } from './types.ts';
import { DEFAULT_TIMEOUT_MS, dispatch, isEnvelope } from './dispatch.ts';
import type { Envelope, Reply } from './dispatch.ts';
import { MessagingTimeout, busClosed, fromWireError, toWireError } from './errors.ts';
import { createSessionManager } from './amqp-session.ts';
import type { Attachment, Session, SessionManager } from './amqp-session.ts';

export interface AmqpBusOptions {
  url: string;
  log?: Logger;
  /** The RPC topic exchange; notifications go to `<exchange>.notifications`. Default 'stratus'. */
  exchange?: string;
}

const JSON_TYPE = 'application/json';
const REPLY_TIMEOUT_MS = 10_000;
const managers = new WeakMap<Bus, SessionManager>();

interface PendingCall {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Test hook: drops the bus's connection as a network failure would; the bus reconnects by itself. */
export function simulateConnectionLoss(bus: Bus): void {
  managers.get(bus)?.dropConnection();
}

function encode(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}

function routingKey(target: RpcTarget): string {
  return target.server === undefined ? target.topic : `${target.topic}.${target.server}`;
}

/**
 * Connects to the broker (rejecting if it cannot be reached at start) and returns a bus that reconnects on its own:
 * with backoff from 0.5 s to 5 s it re-declares its topology and re-subscribes every endpoint and pool. Casts and
 * notifications made while disconnected wait for the connection until their timeout; calls whose reply queue was
 * lost reject with MessagingTimeout at their deadline.
 */
export async function createAmqpBus(opts: AmqpBusOptions): Promise<Bus> {
  const log = opts.log ?? createLogger({ name: 'bus' });
  const rpcExchange = opts.exchange ?? 'stratus';
  const notificationExchange = `${rpcExchange}.notifications`;
  const sessions = createSessionManager({ url: opts.url, log });
  const pending = new Map<string, PendingCall>();
  let closed = false;

  async function declareExchange(s: Session, name: string, type: 'topic' | 'fanout', durable: boolean): Promise<void> {
    if (s.declared.has(name)) return;
    await s.pub.assertExchange(name, type, { durable });
    s.declared.add(name);
  }

  function settle(correlationId: string): PendingCall | undefined {
    const p = pending.get(correlationId);
    if (p) { clearTimeout(p.timer); pending.delete(correlationId); }
    return p;
  }

  function onReply(msg: ConsumeMessage | null): void {
    const id = msg?.properties.correlationId;
    if (!msg || typeof id !== 'string') return;
    const p = settle(id);
    if (!p) return; // timed out already
    try {
      const reply = JSON.parse(msg.content.toString()) as Reply;
      if (reply.ok) p.resolve(reply.result);
      else p.reject(fromWireError(reply.error));
    } catch (err) {
      p.reject(fromWireError(toWireError(new Error(`Malformed RPC reply: ${(err as Error).message}`))));
    }
  }

  // First attachment: the exchanges and this session's reply queue, which every call of the session names.
  const topology: Attachment = async (s) => {
    await declareExchange(s, rpcExchange, 'topic', false);
    await declareExchange(s, notificationExchange, 'topic', true);
    const q = await s.sub.assertQueue('', { exclusive: true, autoDelete: true });
    s.replyQueue = q.queue;
    await s.sub.consume(q.queue, onReply, { noAck: true });
  };
  await sessions.register(topology);
  await sessions.start();

  function publishEnvelope(target: { exchange: string; key: string; topic: string }, env: Envelope, o: SendOptions & {
    extra?: (s: Session) => Record<string, unknown>; prepare?: (s: Session) => Promise<void>;
  }): Promise<boolean> {
    if (closed) throw busClosed();
    const deadline = Date.now() + (o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return sessions.publish({
      exchange: target.exchange, routingKey: target.key, body: encode(env), deadline, prepare: o.prepare,
      props: (s) => ({ contentType: JSON_TYPE, messageId: randomUUID(), ...o.extra?.(s) }),
    });
  }

  async function send(target: { exchange: string; key: string; topic: string }, method: string, args: unknown,
    o: SendOptions & { prepare?: (s: Session) => Promise<void> }): Promise<void> {
    const env: Envelope = { method, version: o.version, args, context: o.context };
    if (!(await publishEnvelope(target, env, o))) {
      throw new MessagingTimeout({ topic: target.topic, method, timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    }
  }

  async function onRequest(s: Session, endpoint: RpcEndpoint, topic: string, msg: ConsumeMessage | null): Promise<void> {
    if (!msg) {
      // The broker cancelled the consumer (queue deleted): reconnecting re-declares everything.
      if (!closed) { log.warn({ topic }, 'RPC consumer cancelled by the broker; reconnecting'); sessions.dropConnection(); }
      return;
    }
    // Acknowledged on receipt, as oslo.messaging does: a request runs at most once.
    try { s.sub.ack(msg); } catch { /* channel gone: the broker redelivers */ }
    let env: unknown;
    try { env = JSON.parse(msg.content.toString()); } catch { env = undefined; }
    const { replyTo, correlationId } = msg.properties as { replyTo?: string; correlationId?: string };
    if (!isEnvelope(env)) { log.warn({ topic }, 'dropping a malformed RPC message'); return; }
    const reply = await dispatch(endpoint, env, { log, topic, expectsReply: !!replyTo });
    if (!replyTo || !correlationId || closed) return;
    let body: Buffer;
    try {
      body = encode(reply);
    } catch (err) {
      body = encode({ ok: false, error: toWireError(new Error(`RPC result could not be serialized: ${(err as Error).message}`)) });
    }
    await sessions.publish({
      exchange: '', routingKey: replyTo, body, deadline: Date.now() + REPLY_TIMEOUT_MS,
      props: () => ({ contentType: JSON_TYPE, correlationId }),
    }).catch((err: unknown) => log.warn({ err, topic, method: env.method }, 'could not send RPC reply'));
  }

  function serveAttachment(target: ServeTarget, endpoint: RpcEndpoint): Attachment {
    const { topic, server } = target;
    return async (s) => {
      const direct = `${topic}.${server}`;
      const fanoutExchange = `${topic}_fanout`;
      await s.sub.assertQueue(topic, { durable: false, autoDelete: false });
      await s.sub.bindQueue(topic, rpcExchange, topic);
      await s.sub.assertQueue(direct, { durable: false, autoDelete: false });
      await s.sub.bindQueue(direct, rpcExchange, direct);
      await s.sub.assertExchange(fanoutExchange, 'fanout', { durable: false });
      const fanoutQueue = (await s.sub.assertQueue(`${topic}_fanout_${randomUUID()}`, { exclusive: true, autoDelete: true })).queue;
      await s.sub.bindQueue(fanoutQueue, fanoutExchange, '');
      const tags: string[] = [];
      for (const q of [topic, direct, fanoutQueue]) {
        tags.push((await s.sub.consume(q, (msg) => void onRequest(s, endpoint, topic, msg))).consumerTag);
      }
      return async () => { for (const tag of tags) await s.sub.cancel(tag); };
    };
  }

  function poolAttachment(pool: string, handler: NotificationHandler): Attachment {
    const queue = `notifications.${pool}`;
    return async (s) => {
      await s.sub.assertQueue(queue, { durable: true });
      await s.sub.bindQueue(queue, notificationExchange, 'notifications.*');
      const { consumerTag } = await s.sub.consume(queue, (msg) => void onNotification(s, pool, handler, msg));
      return async () => { await s.sub.cancel(consumerTag); };
    };
  }

  async function onNotification(s: Session, pool: string, handler: NotificationHandler, msg: ConsumeMessage | null): Promise<void> {
    if (!msg) {
      if (!closed) { log.warn({ pool }, 'notification consumer cancelled by the broker; reconnecting'); sessions.dropConnection(); }
      return;
    }
    try {
      await handler(JSON.parse(msg.content.toString()) as Notification);
    } catch (err) {
      // Not requeued: a notification that breaks its handler would otherwise loop forever.
      log.error({ err, pool }, 'notification handler failed');
    }
    try { s.sub.ack(msg); } catch { /* channel gone: the broker redelivers */ }
  }

  const bus: Bus = {
    async call<R>(target: RpcTarget, method: string, args: unknown, o: SendOptions): Promise<R> {
      if (closed) throw busClosed();
      const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const deadline = Date.now() + timeoutMs;
      const correlationId = randomUUID();
      const answer = new Promise<R>((resolve, reject) => {
        const timer = setTimeout(() => {
          settle(correlationId);
          reject(new MessagingTimeout({ topic: target.topic, method, timeoutMs }));
        }, timeoutMs);
        pending.set(correlationId, { resolve: resolve as (v: unknown) => void, reject, timer });
      });
      answer.catch(() => undefined); // the caller sees the rejection; this keeps it from counting as unhandled meanwhile
      const env: Envelope = { method, version: o.version, args, context: o.context };
      try {
        await publishEnvelope({ exchange: rpcExchange, key: routingKey(target), topic: target.topic }, env, {
          ...o,
          extra: (s) => ({ replyTo: s.replyQueue, correlationId, expiration: String(Math.max(1, deadline - Date.now())) }),
        });
      } catch (err) {
        settle(correlationId);
        throw err;
      }
      return answer; // if publishing ran out of time the deadline timer rejects it
    },

    cast(target, method, args, o) {
      return send({ exchange: rpcExchange, key: routingKey(target), topic: target.topic }, method, args, o);
    },

    fanout(topic, method, args, o) {
      const exchange = `${topic}_fanout`;
      return send({ exchange, key: '', topic }, method, args,
        { ...o, prepare: (s) => declareExchange(s, exchange, 'fanout', false) });
    },

    async serve(target, endpoint) {
      if (closed) throw busClosed();
      return { close: await sessions.register(serveAttachment(target, endpoint)) };
    },

    async notify(n) {
      if (closed) throw busClosed();
      const full: Notification = { ...n, timestamp: new Date().toISOString(), messageId: randomUUID() };
      const sent = await sessions.publish({
        exchange: notificationExchange, routingKey: `notifications.${n.priority.toLowerCase()}`, body: encode(full),
        deadline: Date.now() + DEFAULT_TIMEOUT_MS,
        props: () => ({ contentType: JSON_TYPE, messageId: full.messageId, persistent: true }),
      });
      if (!sent) throw new MessagingTimeout({ topic: notificationExchange, method: n.eventType, timeoutMs: DEFAULT_TIMEOUT_MS });
    },

    async onNotification(pool, handler) {
      if (closed) throw busClosed();
      return { close: await sessions.register(poolAttachment(pool, handler)) };
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const id of [...pending.keys()]) settle(id)?.reject(busClosed());
      await sessions.close();
    },
  };
  managers.set(bus, sessions);
  return bus;
}
