// A typed layer over the bus: one declaration of a topic's methods gives callers a typed client and servers typed
// handlers, so a contract change breaks the build instead of a message at run time.
import type { Bus, BusContext, RpcEndpoint, Subscription } from './types.ts';

/** A topic's API: each method is a call (answered) or a cast (not), with its argument and result types. */
export type RpcMethods = Record<string, { kind: 'call' | 'cast'; args: unknown; result: unknown }>;

type MethodsOfKind<M extends RpcMethods, K extends 'call' | 'cast'> =
  { [N in keyof M]: M[N]['kind'] extends K ? N : never }[keyof M] & string;

export interface RpcClient<M extends RpcMethods> {
  call<N extends MethodsOfKind<M, 'call'>>(method: N, args: M[N]['args'], ctx: BusContext,
    opts?: { server?: string; timeoutMs?: number }): Promise<M[N]['result']>;
  cast<N extends MethodsOfKind<M, 'cast'>>(method: N, args: M[N]['args'], ctx: BusContext,
    opts?: { server?: string; timeoutMs?: number }): Promise<void>;
  /** A cast to every server of the topic. */
  fanout<N extends MethodsOfKind<M, 'cast'>>(method: N, args: M[N]['args'], ctx: BusContext): Promise<void>;
}

/** One handler per method, named after it; a cast's result is ignored. */
export type RpcHandlers<M extends RpcMethods> = {
  [N in keyof M]: (ctx: BusContext, args: M[N]['args']) => Promise<M[N]['result']> | M[N]['result'];
};

/** Declares a topic's API once; `version` travels in every envelope this client sends. */
export function defineRpc<M extends RpcMethods>(topic: string, version: string) {
  return {
    topic,
    version,
    client(bus: Bus): RpcClient<M> {
      return {
        call: (method, args, context, opts = {}) => bus.call({ topic, server: opts.server }, method, args,
          { context, version, timeoutMs: opts.timeoutMs }),
        cast: (method, args, context, opts = {}) => bus.cast({ topic, server: opts.server }, method, args,
          { context, version, timeoutMs: opts.timeoutMs }),
        fanout: (method, args, context) => bus.fanout(topic, method, args, { context, version }),
      };
    },
    serve(bus: Bus, server: string, handlers: RpcHandlers<M>): Promise<Subscription> {
      return bus.serve({ topic, server }, handlers as RpcEndpoint);
    },
  };
}
