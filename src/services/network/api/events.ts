// Publishes what changed: a notification per resource change (for telemetry and other listeners) and, for what
// agents wire, a fanout cast on the agent topic. A bus failure is logged, never turned into an API error: the change
// is committed, and agents resync periodically as Neutron's do.
import type { Bus, BusContext } from '#lib/bus/index.ts';
import { toBusContext } from '#lib/bus/index.ts';
import type { Logger } from '#lib/log.ts';
import type { RequestContext } from '#lib/context.ts';
import { eventType, networkAgentRpc } from '../rpc/agent-rpc.ts';
import type { NetworkAgentMethods, NotifiedResource } from '../rpc/agent-rpc.ts';

type CastName = keyof NetworkAgentMethods;

export interface NetworkEvents {
  resourceChanged(ctx: RequestContext, resource: NotifiedResource, action: 'create' | 'update' | 'delete', payload: Record<string, unknown>): void;
  agents<N extends CastName>(ctx: RequestContext, method: N, args: NetworkAgentMethods[N]['args']): void;
  /** A cast to one host's agent only (what concerns the routers it hosts). */
  agentOn<N extends CastName>(ctx: RequestContext, host: string, method: N, args: NetworkAgentMethods[N]['args']): void;
  /** Waits for publications in flight (tests, shutdown). */
  flush(): Promise<void>;
}

export function createNetworkEvents(bus: Bus, opts: { host: string; log: Logger }): NetworkEvents {
  const agents = networkAgentRpc.client(bus);
  const pending = new Set<Promise<unknown>>();
  const track = (what: string, p: Promise<unknown>) => {
    const done = p.catch((err) => opts.log.warn({ err: (err as Error).message, what }, 'cannot publish a networking event'))
      .finally(() => pending.delete(done));
    pending.add(done);
  };
  const busContext = (ctx: RequestContext): BusContext => toBusContext(ctx);
  return {
    resourceChanged(ctx, resource, action, payload) {
      track(eventType(resource, action), bus.notify({
        eventType: eventType(resource, action), publisherId: `network.${opts.host}`, priority: 'INFO', payload, context: busContext(ctx),
      }));
    },
    agents(ctx, method, args) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the method/args pairing is checked by the signature above
      track(method, agents.fanout(method as any, args as any, busContext(ctx)));
    },
    agentOn(ctx, host, method, args) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the method/args pairing is checked by the signature above
      track(method, agents.cast(method as any, args as any, busContext(ctx), { server: host }));
    },
    async flush() {
      await Promise.all([...pending]);
    },
  };
}
