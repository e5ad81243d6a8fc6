// Chooses the bus transport from a URL, so a service is wired to memory or RabbitMQ by configuration alone.
import type { Logger } from '../log.ts';
import type { Bus } from './types.ts';
import { createMemoryBroker, createMemoryBus } from './memory.ts';
import type { MemoryBroker } from './memory.ts';
import { createAmqpBus } from './amqp.ts';

export type * from './types.ts';
export { MessagingTimeout, UnsupportedMethod } from './errors.ts';
export { DEFAULT_TIMEOUT_MS } from './dispatch.ts';
export { createMemoryBus } from './memory.ts';
export { createAmqpBus } from './amqp.ts';
export { defineRpc } from './typed.ts';
export type { RpcClient, RpcHandlers, RpcMethods } from './typed.ts';
export { toBusContext } from './bus-context.ts';

const brokers = new Map<string, MemoryBroker>();

/**
 * A new in-process bus attached to the broker named `name`, so several roles of one process talk to each other as
 * they would through RabbitMQ; each caller gets its own bus (closing it ends only its own subscriptions).
 */
export function sharedMemoryBus(name: string, log?: Logger): Bus {
  let broker = brokers.get(name);
  if (!broker) { broker = createMemoryBroker(); brokers.set(name, broker); }
  return createMemoryBus({ broker, log });
}

/**
 * `memory://` → a new private in-process bus (each call a separate one); `memory://<name>` → sharedMemoryBus(name);
 * `amqp://…` / `amqps://…` → a RabbitMQ bus on exchange 'stratus'.
 */
export async function createBus(url: string, log?: Logger): Promise<Bus> {
  const parsed = new URL(url);
  if (parsed.protocol === 'memory:') {
    return parsed.host ? sharedMemoryBus(parsed.host, log) : createMemoryBus({ log });
  }
  if (parsed.protocol === 'amqp:' || parsed.protocol === 'amqps:') return createAmqpBus({ url, log });
  throw new Error(`Unsupported message bus URL scheme ${parsed.protocol} (expected memory:// or amqp://)`);
}
