// Runs one incoming RPC envelope against an endpoint the same way for every transport.
import type { Logger } from '../log.ts';
import type { BusContext, RpcEndpoint } from './types.ts';
import { UnsupportedMethod, toWireError } from './errors.ts';
import type { WireError } from './errors.ts';
import { isStratusError } from '../errors.ts';

export const DEFAULT_TIMEOUT_MS = 60_000;

/** The message body of every call, cast and fanout. */
export interface Envelope {
  method: string;
  version?: string;
  args: unknown;
  context: BusContext;
}

export type Reply = { ok: true; result: unknown } | { ok: false; error: WireError };

export function isEnvelope(v: unknown): v is Envelope {
  const e = v as Envelope | null;
  return typeof e === 'object' && e !== null && typeof e.method === 'string'
    && typeof e.context === 'object' && e.context !== null;
}

/**
 * Never throws: a handler's failure becomes an error reply. Unexpected errors are logged with their stack and request
 * id; a StratusError is logged only for casts, where no caller will ever see it.
 */
export async function dispatch(endpoint: RpcEndpoint, env: Envelope, opts: {
  log: Logger; topic: string; expectsReply: boolean;
}): Promise<Reply> {
  const started = performance.now();
  try {
    // Object.prototype's members (toString, constructor…) are not RPC methods.
    const fn = env.method in Object.prototype ? undefined : endpoint[env.method];
    if (typeof fn !== 'function') throw new UnsupportedMethod(env.method);
    const result = await fn.call(endpoint, env.context, env.args);
    // One line per handled message, like the HTTP layer's per request, so `stratus trace` can join them up.
    if (opts.log.isLevelEnabled('info')) {
      opts.log.info({
        topic: opts.topic, method: env.method, ms: Math.round((performance.now() - started) * 10) / 10,
        requestId: env.context.requestId, globalRequestId: env.context.globalRequestId,
      }, opts.expectsReply ? 'rpc call' : 'rpc cast');
    }
    return { ok: true, result };
  } catch (err) {
    const fields = {
      requestId: env.context.requestId, globalRequestId: env.context.globalRequestId,
      topic: opts.topic, method: env.method,
    };
    if (!isStratusError(err)) opts.log.error({ ...fields, err }, 'RPC handler failed unexpectedly');
    else if (!opts.expectsReply) opts.log.warn({ ...fields, err }, 'RPC cast failed');
    return { ok: false, error: toWireError(err) };
  }
}
