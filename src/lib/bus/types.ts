// The one bus contract every transport implements, so services depend on call/cast/notify and never on RabbitMQ.

/** What travels with every message (the envelope's context): which request this is and who is acting. */
export interface BusContext {
  requestId: string;
  globalRequestId: string;
  userId?: string;
  projectId?: string;
  roles?: string[];
  /** The user's token, forwarded only so the receiver can call other services on the user's behalf. */
  authToken?: string;
}

/** `{ topic }` reaches one of the topic's servers (competing consumers); `{ topic, server }` only `topic.server`. */
export interface RpcTarget {
  topic: string;
  server?: string;
}

/** Where a server listens: the topic's shared queue, its own `topic.server` queue and the topic's fanout. */
export interface ServeTarget {
  topic: string;
  server: string;
}

// Handlers narrow their own arguments; typed.ts gives callers and servers the per-method types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RpcHandler = (ctx: BusContext, args: any) => Promise<unknown> | unknown;
export type RpcEndpoint = Record<string, RpcHandler>;

export type NotificationPriority = 'INFO' | 'WARN' | 'ERROR' | 'DEBUG';

export interface Notification {
  eventType: string;
  publisherId: string;
  priority: NotificationPriority;
  payload: unknown;
  timestamp: string;
  messageId: string;
  context: BusContext;
  /** oslo.messaging's notification topic (`notifications`, `versioned_notifications`); listeners filter on it. */
  topic?: string;
}

/** What a publisher supplies; the bus stamps the timestamp and message id. */
export type NotificationInput = Omit<Notification, 'timestamp' | 'messageId'>;
export type NotificationHandler = (n: Notification) => Promise<void> | void;

export interface SendOptions {
  context: BusContext;
  /** Call: how long to wait for the answer. Cast/fanout: how long to wait for a lost broker to come back. Default 60 s. */
  timeoutMs?: number;
  /** The caller's version of the topic's API, carried in the envelope. */
  version?: string;
}

export interface Subscription {
  /** Stops receiving; idempotent. */
  close(): Promise<void>;
}

export interface Bus {
  /**
   * Sends `method` to one server of the target and waits for its result. Rejects with MessagingTimeout when nobody
   * answers within timeoutMs, or with a RemoteError carrying the handler's status, code, message and details.
   */
  call<R = unknown>(target: RpcTarget, method: string, args: unknown, opts: SendOptions): Promise<R>;
  /** Sends `method` to one server of the target without waiting for it; resolves once the transport holds it. */
  cast(target: RpcTarget, method: string, args: unknown, opts: SendOptions): Promise<void>;
  /** Sends `method` to every server currently listening on the topic. */
  fanout(topic: string, method: string, args: unknown, opts: SendOptions): Promise<void>;
  /** Listens on `topic` (shared), `topic.server` and the topic's fanout until the subscription is closed. */
  serve(target: ServeTarget, endpoint: RpcEndpoint): Promise<Subscription>;
  /** Publishes a notification; every pool gets it once. */
  notify(n: NotificationInput): Promise<void>;
  /** Joins pool `pool`: each pool receives every notification once, shared among the pool's handlers. */
  onNotification(pool: string, handler: NotificationHandler): Promise<Subscription>;
  /** Closes every subscription of this bus and rejects its pending calls; idempotent. */
  close(): Promise<void>;
}
