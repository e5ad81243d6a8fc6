// The network agent's security group side (Neutron's SecurityGroupAgentRpc): remembers the filtered ports wired on
// this host, fetches their groups' rules and remote-group members from the server, and has the driver apply the whole
// picture at once. Changes coalesce: while one apply runs, every request after it shares the next one.
import type { BusContext, RpcClient } from '#lib/bus/index.ts';
import type { Logger } from '#lib/log.ts';
import type { NetworkServerMethods, PortDetails } from '../rpc/agent-rpc.ts';
import { portIsFiltered } from '../domain/security-group-info.ts';
import type { DataPlaneDriver, PortFilterState } from './drivers/data-plane-driver.ts';

export interface PortFiltersDeps {
  server: RpcClient<NetworkServerMethods>;
  driver: DataPlaneDriver;
  host: string;
  /** A fresh bus context for the agent's own calls. */
  context(): BusContext;
  log: Logger;
  /** Pause before retrying a failed apply (the server may be away). */
  retryMs: number;
}

export interface PortFilters {
  /** Records the port's filter (or its absence) and applies it; rejects when it could not be applied. */
  portWired(port: PortDetails): Promise<void>;
  /** portWired for a burst of ports, with one apply for all of them. */
  portsWired(ports: PortDetails[]): Promise<void>;
  /** Forgets a port whose device is gone and applies that. */
  portUnwired(portId: string): Promise<void>;
  /** Records ports without applying (a resync records them all, then applies once). */
  record(ports: PortDetails[]): void;
  /** Applies what is recorded now; rejects when it could not be applied. */
  apply(): Promise<void>;
  /** Rules or members of these groups changed: refetch and apply if a port here depends on them. */
  groupsChanged(securityGroupIds: string[]): void;
  /** Waits for applies under way or queued (tests). */
  idle(): Promise<void>;
  stop(): void;
}

export function createPortFilters(deps: PortFiltersDeps): PortFilters {
  const { driver, log } = deps;
  const ports = new Map<string, PortDetails>();
  /** Groups the applied filters depend on: the ports' own and the remote groups their rules name. */
  let dependsOn = new Set<string>();
  let version = 0;
  let appliedVersion = -1;
  let running: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;

  async function applyNow(): Promise<void> {
    if (!driver.syncPortFilters) return;
    const at = version;
    const filtered = [...ports.values()];
    const groupIds = [...new Set(filtered.flatMap((p) => p.securityGroupIds))].sort();
    const groups = groupIds.length
      ? await deps.server.call('security_group_info', { securityGroupIds: groupIds, host: deps.host }, deps.context())
      : { rules: {}, members: {} };
    const state: PortFilterState = { ports: filtered, groups };
    await driver.syncPortFilters(state);
    dependsOn = new Set([...groupIds, ...Object.keys(groups.members)]);
    appliedVersion = Math.max(appliedVersion, at);
  }

  function scheduleRetry(): void {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      apply().catch(() => { /* logged, and retried again */ });
    }, deps.retryMs);
  }

  function apply(): Promise<void> {
    if (queued) return queued;
    const next = running.catch(() => undefined).then(() => {
      queued = undefined;
      return applyNow();
    }).catch((err: unknown) => {
      log.warn({ err: (err as Error).message }, 'cannot apply the port filters; keeping the previous ones and retrying');
      scheduleRetry();
      throw err;
    });
    queued = next;
    running = next;
    return next;
  }

  const changed = () => { version++; };

  async function portsWired(list: PortDetails[]): Promise<void> {
    let change = false;
    for (const port of list) {
      const have = ports.get(port.portId);
      if (!portIsFiltered(port)) {
        if (!have) continue;
        ports.delete(port.portId);
      } else if (have && JSON.stringify(have) === JSON.stringify(port) && appliedVersion === version) {
        continue;
      } else {
        ports.set(port.portId, port);
      }
      change = true;
    }
    if (!change) return;
    changed();
    await apply();
  }

  return {
    portWired: (port) => portsWired([port]),
    portsWired,
    async portUnwired(portId) {
      if (!ports.delete(portId)) return;
      changed();
      await apply();
    },
    record(list) {
      for (const port of list) if (portIsFiltered(port)) ports.set(port.portId, port);
      changed();
    },
    apply,
    groupsChanged(securityGroupIds) {
      if (!securityGroupIds.some((id) => dependsOn.has(id))) return;
      changed();
      apply().catch(() => { /* logged, and retried */ });
    },
    async idle() {
      while (queued) await queued.catch(() => undefined);
      await running.catch(() => undefined);
    },
    stop() {
      stopped = true;
      clearTimeout(retry);
    },
  };
}
