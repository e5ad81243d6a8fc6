// Keeps one AMQP connection alive across broker restarts and network failures, replaying every registered
// subscription on each new connection, so the bus above it never deals with a dead channel.
import { connect } from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, Options } from 'amqplib';
import type { Logger } from '../log.ts';
import { busClosed } from './errors.ts';

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 5_000;
const PREFETCH = 64;

/** One live connection with its two channels; `lost` turns true once and never back. */
export interface Session {
  id: number;
  conn: ChannelModel;
  /** Publishing, with publisher confirms. */
  pub: ConfirmChannel;
  /** Consuming. */
  sub: Channel;
  lost: boolean;
  /** This session's exclusive reply queue (set by the bus's first attachment). */
  replyQueue: string;
  /** Exchanges already declared on this session. */
  declared: Set<string>;
}

/** Sets something up on a session (declare, bind, consume) and returns how to undo it while the session lives. */
export type Attachment = (s: Session) => Promise<(() => Promise<void>) | void>;

export interface PublishRequest {
  exchange: string;
  routingKey: string;
  body: Buffer;
  props: (s: Session) => Options.Publish;
  /** Runs before publishing on a session, e.g. to declare the exchange. */
  prepare?: (s: Session) => Promise<void>;
  deadline: number;
}

export interface SessionManager {
  /** Connects for the first time; rejects if the broker cannot be reached. */
  start(): Promise<void>;
  /** Attaches now if connected (rejecting if that fails) and again on every reconnection; returns the detach. */
  register(a: Attachment): Promise<() => Promise<void>>;
  /** Publishes with a broker confirm, waiting for a reconnection until the deadline; false if the deadline passed. */
  publish(p: PublishRequest): Promise<boolean>;
  /** Test hook: destroys the socket as a network failure would. */
  dropConnection(): void;
  close(): Promise<void>;
}

interface Waiter {
  resolve: (s: Session | undefined) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export function createSessionManager(opts: { url: string; log: Logger }): SessionManager {
  const { log } = opts;
  const registry = new Map<Attachment, { session?: Session; detach?: () => Promise<void> }>();
  const waiters = new Set<Waiter>();
  let current: Session | undefined;
  let nextId = 0;
  let reconnecting: Promise<void> | undefined;
  let closing = false;
  let wake: (() => void) | undefined;

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { wake = undefined; resolve(); }, ms);
      wake = () => { clearTimeout(timer); wake = undefined; resolve(); };
    });
  }

  async function attach(s: Session, a: Attachment): Promise<void> {
    const detach = await a(s);
    const slot = registry.get(a);
    // A late attach on an older session must not overwrite the newer session's detach.
    if (slot && !(slot.session && slot.session.id > s.id)) { slot.session = s; slot.detach = detach ?? undefined; }
  }

  async function openSession(): Promise<Session> {
    const conn = await connect(opts.url);
    const s = { id: ++nextId, conn, lost: false, replyQueue: '', declared: new Set() } as unknown as Session;
    conn.on('error', (err: Error) => log.warn({ err, session: s.id }, 'AMQP connection error'));
    conn.on('close', () => lose(s));
    try {
      s.pub = await conn.createConfirmChannel();
      s.sub = await conn.createChannel();
      for (const ch of [s.pub, s.sub]) {
        ch.on('error', (err: Error) => log.warn({ err, session: s.id }, 'AMQP channel error'));
        // A channel the broker closed (e.g. a failed declaration) is unusable: start over on a new connection.
        ch.on('close', () => { if (!s.lost && !closing) void conn.close().catch(() => undefined); });
      }
      await s.sub.prefetch(PREFETCH);
      // Live iteration: attachments registered while this runs are attached too.
      for (const a of registry.keys()) await attach(s, a);
      if (s.lost) throw new Error('AMQP connection lost while setting up');
      if (closing) throw busClosed();
    } catch (err) {
      s.lost = true;
      await conn.close().catch(() => undefined);
      throw err;
    }
    return s;
  }

  function becomeCurrent(s: Session): void {
    current = s;
    for (const w of [...waiters]) { clearTimeout(w.timer); waiters.delete(w); w.resolve(s); }
  }

  function lose(s: Session): void {
    s.lost = true;
    if (current !== s) return;
    current = undefined;
    if (closing) return;
    log.warn({ session: s.id }, 'AMQP connection lost; reconnecting');
    ensureReconnecting();
  }

  /** Retries with capped exponential backoff until connected or closed; the loop's exit is synchronous with its check. */
  function ensureReconnecting(): void {
    if (reconnecting || closing) return;
    reconnecting = (async () => {
      let delay = 0;
      let attempt = 0;
      while (!closing && !current) {
        if (delay > 0) await sleep(delay * (0.8 + Math.random() * 0.2));
        if (closing) break;
        attempt += 1;
        try {
          const s = await openSession();
          if (closing) await s.conn.close().catch(() => undefined);
          else if (!s.lost) {
            becomeCurrent(s);
            log.info({ session: s.id, attempt }, 'AMQP connection re-established');
          }
        } catch (err) {
          log.warn({ err, attempt }, 'AMQP reconnection failed');
        }
        delay = delay === 0 ? MIN_DELAY_MS : Math.min(delay * 2, MAX_DELAY_MS);
      }
      reconnecting = undefined;
    })();
  }

  function waitSession(deadline: number): Promise<Session | undefined> {
    if (closing) return Promise.reject(busClosed());
    if (current && !current.lost) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        resolve, reject,
        timer: setTimeout(() => { waiters.delete(w); resolve(undefined); }, Math.max(0, deadline - Date.now())),
      };
      waiters.add(w);
    });
  }

  function confirmPublish(s: Session, p: PublishRequest): Promise<void> {
    return new Promise((resolve, reject) => {
      s.pub.publish(p.exchange, p.routingKey, p.body, p.props(s), (err: unknown) => (err ? reject(err) : resolve()));
    });
  }

  return {
    async start() {
      const s = await openSession();
      if (closing) await s.conn.close().catch(() => undefined);
      else becomeCurrent(s);
    },

    async register(a) {
      registry.set(a, {});
      const s = current;
      if (s) {
        try {
          await attach(s, a);
        } catch (err) {
          // On a lost session the next one attaches it; on a live one the failure is the caller's to see.
          if (!s.lost) { registry.delete(a); throw err; }
        }
      }
      return async () => {
        const slot = registry.get(a);
        registry.delete(a);
        if (slot?.detach && slot.session && !slot.session.lost) await slot.detach().catch(() => undefined);
      };
    },

    async publish(p) {
      let failedOn: Session | undefined;
      for (;;) {
        if (Date.now() >= p.deadline) return false;
        const s = await waitSession(p.deadline);
        if (!s) return false;
        // The same live session failed just before (a broker nack): pause rather than spin.
        if (s === failedOn) await new Promise((r) => setTimeout(r, 100));
        try {
          if (p.prepare) await p.prepare(s);
          await confirmPublish(s, p);
          return true;
        } catch (err) {
          // A closed channel, a lost connection or a nack is worth another try; a RangeError or TypeError (an
          // oversized header table, a bad argument) would fail again, so it is the caller's.
          if (err instanceof RangeError || err instanceof TypeError) throw err;
          log.debug({ err, session: s.id, exchange: p.exchange }, 'publish failed; retrying');
          failedOn = s;
        }
      }
    },

    dropConnection() {
      const stream = (current?.conn as unknown as { connection?: { stream?: { destroy(err?: Error): void } } })
        ?.connection?.stream;
      if (stream) stream.destroy(new Error('connection dropped by test hook'));
    },

    async close() {
      if (closing) return;
      closing = true;
      wake?.();
      for (const w of [...waiters]) { clearTimeout(w.timer); waiters.delete(w); w.reject(busClosed()); }
      const s = current;
      current = undefined;
      if (s && !s.lost) {
        s.lost = true;
        await s.conn.close().catch(() => undefined);
      }
      await reconnecting;
    },
  };
}
