// Behaviours every bus transport must share, run against the memory bus and RabbitMQ, plus AMQP reconnection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import type { Channel } from 'amqplib';
import { NotFound, RemoteError } from '../errors.ts';
import { createLogger, silentLogger } from '../log.ts';
import { skipUnlessReachable, testServerUrls } from '../test-servers.ts';
import { MessagingTimeout, createAmqpBus, createBus, defineRpc, sharedMemoryBus } from './index.ts';
import type { Bus, BusContext, Notification } from './index.ts';
import { simulateConnectionLoss } from './amqp.ts';
import { until } from '#lib/test-wait.ts';

const WAIT = { timeoutMs: 15_000, everyMs: 10 };

const runId = randomUUID().slice(0, 8);
const exchange = `stratus-test-${runId}`;
const topics: string[] = [];
const pools: string[] = [];
let counter = 0;
const newTopic = (): string => { const t = `test-${runId}-${++counter}`; topics.push(t); return t; };
const newPool = (): string => { const p = `test-${runId}-${++counter}`; pools.push(p); return p; };

function context(extra: Partial<BusContext> = {}): BusContext {
  return {
    requestId: `req-${randomUUID()}`, globalRequestId: `req-${randomUUID()}`,
    userId: 'u-1', projectId: 'p-1', roles: ['member', 'reader'], ...extra,
  };
}

const amqpSkip = await skipUnlessReachable('RabbitMQ', async () => {
  const conn = await connect(testServerUrls.amqp);
  await conn.close();
});

type Op = (ch: Channel) => Promise<unknown>;

/** Removes what the AMQP suites declared, so runs leave no queues or exchanges behind. */
async function deleteAmqpTopology(): Promise<void> {
  const conn = await connect(testServerUrls.amqp);
  try {
    const ops: Op[] = [
      ...topics.flatMap((t): Op[] => [
        (ch) => ch.deleteQueue(t), (ch) => ch.deleteQueue(`${t}.host-a`), (ch) => ch.deleteQueue(`${t}.host-b`),
        (ch) => ch.deleteExchange(`${t}_fanout`),
      ]),
      ...pools.map((p): Op => (ch) => ch.deleteQueue(`notifications.${p}`)),
      (ch) => ch.deleteExchange(exchange), (ch) => ch.deleteExchange(`${exchange}.notifications`),
    ];
    let ch = await conn.createChannel();
    ch.on('error', () => undefined);
    for (const op of ops) {
      try { await op(ch); } catch { ch = await conn.createChannel(); ch.on('error', () => undefined); }
    }
  } finally {
    await conn.close();
  }
}

interface Transport {
  name: string;
  skip?: string;
  open(): Promise<Bus>;
}

const transports: Transport[] = [
  { name: 'memory', open: async () => sharedMemoryBus(`bus-test-${runId}`, silentLogger()) },
  {
    name: 'amqp', skip: amqpSkip,
    open: () => createAmqpBus({ url: testServerUrls.amqp, exchange, log: silentLogger() }),
  },
];

for (const transport of transports) {
  describe(`${transport.name} bus`, { skip: transport.skip }, () => {
    let client: Bus;
    let hostA: Bus;
    let hostB: Bus;
    before(async () => {
      [client, hostA, hostB] = await Promise.all([transport.open(), transport.open(), transport.open()]);
    });
    after(async () => {
      await Promise.all([client, hostA, hostB].map((b) => b?.close()));
    });

    test('a call returns the handler result, with arguments and results copied rather than shared', async () => {
      const topic = newTopic();
      await hostA.serve({ topic, server: 'host-a' }, {
        add: (_ctx, args: { a: number; b: number }) => args.a + args.b,
        stamp: async (_ctx, args: { tags: string[] }) => { args.tags.push('seen'); return args; },
      });
      assert.equal(await client.call({ topic }, 'add', { a: 2, b: 3 }, { context: context() }), 5);
      const sent = { tags: ['x'] };
      const back = await client.call<{ tags: string[] }>({ topic, server: 'host-a' }, 'stamp', sent, { context: context() });
      assert.deepEqual(back, { tags: ['x', 'seen'] });
      assert.deepEqual(sent, { tags: ['x'] }, 'the handler must not mutate the caller\'s object');
    });

    test('a handler error arrives as a RemoteError with its status, code, message and details', async () => {
      const topic = newTopic();
      await hostA.serve({ topic, server: 'host-a' }, {
        find: () => { throw new NotFound('Instance abc could not be found.'); },
        crash: () => { throw new Error('disk on fire'); },
      });
      const opts = { context: context() };
      await assert.rejects(client.call({ topic }, 'find', {}, opts), (err: unknown) => {
        assert.ok(err instanceof RemoteError);
        assert.deepEqual([err.status, err.code, err.message], [404, 'NotFound', 'Instance abc could not be found.']);
        return true;
      });
      await assert.rejects(client.call({ topic }, 'crash', {}, opts), (err: unknown) => {
        assert.ok(err instanceof RemoteError);
        assert.deepEqual([err.status, err.code, err.message], [500, 'RemoteError', 'disk on fire']);
        return true;
      });
      await assert.rejects(client.call({ topic }, 'toString', {}, opts), (err: unknown) => {
        assert.ok(err instanceof RemoteError);
        assert.equal(err.code, 'UnsupportedMethod');
        assert.equal(err.status, 500);
        assert.match(err.message, /toString/);
        return true;
      });
    });

    test('a call to a topic nobody serves rejects with MessagingTimeout', async () => {
      const topic = newTopic();
      const started = Date.now();
      await assert.rejects(client.call({ topic }, 'ping', {}, { context: context(), timeoutMs: 300 }), (err: unknown) => {
        assert.ok(err instanceof MessagingTimeout);
        assert.equal(err.status, 504);
        assert.equal(err.code, 'MessagingTimeout');
        assert.match(err.message, new RegExp(`ping.*${topic}`));
        return true;
      });
      assert.ok(Date.now() - started >= 250, 'it waits for the deadline');
    });

    test('a cast to a server reaches only that server', async () => {
      const topic = newTopic();
      const got: Record<string, number[]> = { a: [], b: [] };
      await hostA.serve({ topic, server: 'host-a' }, { note: (_c, n: number) => { got.a.push(n); }, ping: () => 'pong' });
      await hostB.serve({ topic, server: 'host-b' }, { note: (_c, n: number) => { got.b.push(n); }, ping: () => 'pong' });
      for (const n of [1, 2, 3]) await client.cast({ topic, server: 'host-b' }, 'note', n, { context: context() });
      await until('three casts on host-b', () => got.b.length === 3, WAIT);
      // host-a's own queue answers a call, so nothing sent to host-b is still on its way there.
      assert.equal(await client.call({ topic, server: 'host-a' }, 'ping', {}, { context: context() }), 'pong');
      assert.deepEqual(got, { a: [], b: [1, 2, 3] });
    });

    test('casts without a server are spread across the topic\'s servers', async () => {
      const topic = newTopic();
      const got = { a: 0, b: 0 };
      await hostA.serve({ topic, server: 'host-a' }, { work: () => { got.a += 1; } });
      await hostB.serve({ topic, server: 'host-b' }, { work: () => { got.b += 1; } });
      for (let i = 0; i < 10; i++) await client.cast({ topic }, 'work', { i }, { context: context() });
      await until('ten casts', () => got.a + got.b === 10, WAIT);
      assert.ok(got.a > 0 && got.b > 0, `both servers work: ${JSON.stringify(got)}`);
    });

    test('a fanout reaches every server on the topic and no other topic', async () => {
      const topic = newTopic();
      const other = newTopic();
      const got: string[] = [];
      await hostA.serve({ topic, server: 'host-a' }, { refresh: (_c, a: { v: number }) => { got.push(`a${a.v}`); } });
      await hostB.serve({ topic, server: 'host-b' }, { refresh: (_c, a: { v: number }) => { got.push(`b${a.v}`); } });
      await hostB.serve({ topic: other, server: 'host-b' }, { refresh: () => { got.push('other'); } });
      await client.fanout(topic, 'refresh', { v: 1 }, { context: context() });
      await until('both servers refreshed', () => got.length >= 2, WAIT);
      await client.call({ topic: other, server: 'host-b' }, 'refresh', {}, { context: context() }).catch(() => undefined);
      assert.deepEqual(got.sort(), ['a1', 'b1', 'other']);
    });

    test('notifications reach every pool once and are shared within a pool', async () => {
      const audit = newPool();
      const metering = newPool();
      const seen: Record<string, Notification[]> = { audit1: [], audit2: [], metering: [] };
      await hostA.onNotification(audit, (n) => { seen.audit1.push(n); });
      await hostB.onNotification(audit, (n) => { seen.audit2.push(n); });
      await hostB.onNotification(metering, (n) => { seen.metering.push(n); });
      const ctx = context();
      for (let i = 0; i < 4; i++) {
        await client.notify({ eventType: 'compute.instance.create.end', publisherId: 'compute.host-a',
          priority: i === 3 ? 'ERROR' : 'INFO', payload: { i }, context: ctx });
      }
      await until('four notifications in each pool', () =>
        seen.audit1.length + seen.audit2.length === 4 && seen.metering.length === 4, WAIT);
      const auditIds = [...seen.audit1, ...seen.audit2].map((n) => n.messageId).sort();
      assert.deepEqual(auditIds, seen.metering.map((n) => n.messageId).sort(), 'each pool gets each notification once');
      assert.equal(new Set(auditIds).size, 4);
      assert.ok(seen.audit1.length > 0 && seen.audit2.length > 0, 'the audit pool shares its notifications');
      const last = seen.metering.find((n) => (n.payload as { i: number }).i === 3);
      assert.equal(last?.priority, 'ERROR');
      assert.equal(last?.publisherId, 'compute.host-a');
      assert.deepEqual(last?.context, ctx);
      assert.ok(!Number.isNaN(Date.parse(last?.timestamp ?? '')));
    });

    test('the request context arrives intact with calls and casts', async () => {
      const topic = newTopic();
      const received: BusContext[] = [];
      await hostA.serve({ topic, server: 'host-a' }, {
        whoami: (ctx) => { received.push(ctx); return ctx.requestId; },
        tell: (ctx) => { received.push(ctx); },
      });
      const ctx = context({ authToken: 'gAAAA-token' });
      assert.equal(await client.call({ topic }, 'whoami', null, { context: ctx }), ctx.requestId);
      await client.cast({ topic, server: 'host-a' }, 'tell', null, { context: ctx, version: '1.0' });
      await until('the cast', () => received.length === 2, WAIT);
      assert.deepEqual(received, [ctx, ctx]);
    });

    test('a typed client calls and casts a typed endpoint', async () => {
      type Scheduler = {
        selectDestinations: { kind: 'call'; args: { vcpus: number }; result: string[] };
        updateInstanceInfo: { kind: 'cast'; args: { host: string }; result: void };
      };
      const topic = newTopic();
      const rpc = defineRpc<Scheduler>(topic, '4.5');
      const updates: string[] = [];
      const sub = await rpc.serve(hostA, 'host-a', {
        selectDestinations: (_ctx, args) => (args.vcpus > 4 ? [] : ['host-a']),
        updateInstanceInfo: (_ctx, args) => { updates.push(args.host); },
      });
      const scheduler = rpc.client(client);
      const hosts: string[] = await scheduler.call('selectDestinations', { vcpus: 2 }, context());
      assert.deepEqual(hosts, ['host-a']);
      await scheduler.cast('updateInstanceInfo', { host: 'host-b' }, context(), { server: 'host-a' });
      await until('the typed cast', () => updates.length === 1, WAIT);
      assert.deepEqual(updates, ['host-b']);
      await sub.close();
      await assert.rejects(scheduler.call('selectDestinations', { vcpus: 1 }, context(), { timeoutMs: 200 }), MessagingTimeout);
    });
  });
}

describe('createBus', () => {
  test('memory:// gives a private bus each time and memory://<name> a shared one', async () => {
    const [p1, p2, s1, s2] = await Promise.all(['memory://', 'memory://', `memory://x${runId}`, `memory://x${runId}`]
      .map((u) => createBus(u, silentLogger())));
    await p1.serve({ topic: 't', server: 'h' }, { ping: () => 'pong' });
    await s1.serve({ topic: 't', server: 'h' }, { ping: () => 'pong' });
    assert.equal(await s2.call({ topic: 't' }, 'ping', {}, { context: context() }), 'pong');
    await assert.rejects(p2.call({ topic: 't' }, 'ping', {}, { context: context(), timeoutMs: 100 }), MessagingTimeout);
    await Promise.all([p1, p2, s1, s2].map((b) => b.close()));
    await assert.rejects(createBus('redis://localhost'), /Unsupported message bus URL/);
  });
});

describe('amqp bus reconnection', { skip: amqpSkip }, () => {
  const reconnections = { client: 0, server: 0 };
  const open = (who: keyof typeof reconnections): Promise<Bus> => createAmqpBus({
    url: testServerUrls.amqp, exchange,
    log: createLogger({ level: 'info', destination: { write: (line: string) => {
      if (line.includes('AMQP connection re-established')) reconnections[who] += 1;
    } } }),
  });
  let client: Bus;
  let server: Bus;
  before(async () => { [client, server] = await Promise.all([open('client'), open('server')]); });
  after(async () => { await Promise.all([client?.close(), server?.close()]); });

  test('after a dropped connection, calls still work and served endpoints and pools keep receiving', async () => {
    const topic = newTopic();
    const pool = newPool();
    const casts: string[] = [];
    const fanouts: string[] = [];
    const notes: string[] = [];
    await server.serve({ topic, server: 'host-a' }, {
      ping: (_c, a: string) => `pong ${a}`,
      note: (_c, a: string) => { casts.push(a); },
      refresh: (_c, a: string) => { fanouts.push(a); },
    });
    await server.onNotification(pool, (n) => { notes.push(n.eventType); });
    const opts = { context: context(), timeoutMs: 15_000 };
    assert.equal(await client.call({ topic }, 'ping', 'before', opts), 'pong before');

    // The server loses its connection: what is sent meanwhile waits in its queues until it has re-subscribed.
    simulateConnectionLoss(server);
    assert.equal(await client.call({ topic }, 'ping', 'server back', opts), 'pong server back');
    simulateConnectionLoss(server);
    await client.cast({ topic, server: 'host-a' }, 'note', 'cast while server away', opts);
    await client.notify({ eventType: 'while.server.away', publisherId: 'test', priority: 'INFO', payload: {}, context: opts.context });
    await until('the cast and notification after reconnection', () => casts.length === 1 && notes.length === 1, WAIT);
    assert.equal(await client.call({ topic, server: 'host-a' }, 'ping', 'direct', opts), 'pong direct');

    // The client loses its connection: sends wait for the reconnection instead of being dropped.
    simulateConnectionLoss(client);
    assert.equal(await client.call({ topic }, 'ping', 'client back', opts), 'pong client back');
    simulateConnectionLoss(client);
    await client.cast({ topic }, 'note', 'cast while client away', opts);
    await client.fanout(topic, 'refresh', 'fanout after reconnection', opts);
    await client.notify({ eventType: 'while.client.away', publisherId: 'test', priority: 'WARN', payload: {}, context: opts.context });
    await until('everything sent while the client was away', () =>
      casts.length === 2 && fanouts.length === 1 && notes.length === 2, WAIT);
    assert.deepEqual(casts, ['cast while server away', 'cast while client away']);
    assert.deepEqual(fanouts, ['fanout after reconnection']);
    assert.deepEqual(notes, ['while.server.away', 'while.client.away']);
    assert.deepEqual(reconnections, { client: 2, server: 2 }, 'each dropped connection was re-established');
  });

  test('a pending call whose reply queue was lost rejects with MessagingTimeout at its deadline', async () => {
    const topic = newTopic();
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    let started = false;
    await server.serve({ topic, server: 'host-a' }, {
      slow: async () => { started = true; await released; return 'late'; },
      ping: () => 'pong',
    });
    const pendingCall = client.call({ topic }, 'slow', {}, { context: context(), timeoutMs: 2_000 });
    await until('the slow handler to start', () => started, WAIT);
    simulateConnectionLoss(client);
    release();
    await assert.rejects(pendingCall, MessagingTimeout);
    assert.equal(await client.call({ topic }, 'ping', {}, { context: context(), timeoutMs: 15_000 }), 'pong');
  });
});

after(async () => {
  if (!amqpSkip) await deleteAmqpTopology();
});
