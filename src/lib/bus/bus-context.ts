// The bridge from an HTTP request's context to what travels in a bus envelope (no logger, no credentials object).
import type { RequestContext } from '../context.ts';
import { projectIdOf } from '../context.ts';
import type { BusContext } from './types.ts';

/** The envelope context for a message sent on behalf of `ctx`; the token goes only when forwardToken is set. */
export function toBusContext(ctx: RequestContext, opts: { forwardToken?: boolean } = {}): BusContext {
  const creds = ctx.credentials;
  return {
    requestId: ctx.requestId,
    globalRequestId: ctx.globalRequestId,
    ...(creds ? { userId: creds.userId, roles: [...creds.roles] } : {}),
    ...(projectIdOf(ctx) ? { projectId: projectIdOf(ctx) } : {}),
    ...(opts.forwardToken && ctx.authToken ? { authToken: ctx.authToken } : {}),
  };
}
