// Applies the host's port filters (port-filter-ruleset.ts) with one `nft -f` per change, remembers what it applied
// so a port's unplug or a resync's prune can drop filters without asking the server again, and skips an apply that
// would change nothing. Applies run one at a time; after one that took rules or remote members away, the conntrack
// entries of the flows they admitted are deleted (conntrack-flush.ts), so those flows stop too.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '#lib/log.ts';
import type { PortFilterState } from '../data-plane-driver.ts';
import type { HostRunner } from './host-runner.ts';
import { portFilterRuleset } from './port-filter-ruleset.ts';
import { conntrackDeletions } from './conntrack-flush.ts';

/** Present when br_netfilter is loaded: without it bridged traffic never meets conntrack, and nothing is filtered. */
const BR_NETFILTER = '/proc/sys/net/bridge/bridge-nf-call-iptables';

export interface PortFirewall {
  /** Makes the filters exactly `state`. Idempotent; rejects (keeping the previous filters) when nft refuses. */
  sync(state: PortFilterState): Promise<void>;
  /** Drops the port's filter, if it has one. */
  remove(portId: string): Promise<void>;
  /** Keeps only the filters of these ports; with nothing applied in this process, removes every Stratus filter. */
  prune(portIds: Set<string>): Promise<void>;
}

export interface PortFirewallDeps {
  runner: HostRunner;
  /** Where the last applied script is kept (`port-filters.nft`), for operators to read. */
  stateDir: string;
  log: Logger;
  /** Whether br_netfilter is loaded (tests pass their own). */
  brNetfilterLoaded?: () => boolean;
}

export function createPortFirewall(deps: PortFirewallDeps): PortFirewall {
  let applied: { state: PortFilterState; text: string } | undefined;
  let tail: Promise<void> = Promise.resolve();
  const file = join(deps.stateDir, 'port-filters.nft');
  const loaded = deps.brNetfilterLoaded ?? (() => existsSync(BR_NETFILTER));

  async function ensureBrNetfilter(): Promise<void> {
    if (loaded()) return;
    // Built into some kernels, a module in Debian's.
    await deps.runner.run(['modprobe', 'br_netfilter']).catch(() => undefined);
    if (!loaded()) throw new Error('security groups need the br_netfilter kernel module (modprobe br_netfilter)');
  }

  async function apply(state: PortFilterState, force = false): Promise<void> {
    const text = portFilterRuleset(state);
    if (!force && applied?.text === text) return;
    if (state.ports.length) await ensureBrNetfilter();
    mkdirSync(deps.stateDir, { recursive: true });
    writeFileSync(file, text);
    await deps.runner.run(['nft', '-f', file]);
    const before = applied?.state;
    applied = { state, text };
    if (before) await endFlows(conntrackDeletions(before, state));
    deps.log.debug({ ports: state.ports.length }, 'port filters applied');
  }

  /** After the new filters are in place, so no packet in between recreates an entry. Best effort: logged, not thrown. */
  async function endFlows(deletions: string[][]): Promise<void> {
    for (const argv of deletions) {
      try {
        await deps.runner.run(argv);
      } catch (err) {
        // conntrack exits 1 when no entry matched, the usual case.
        if (!/0 flow entries have been deleted/.test((err as Error).message)) deps.log.warn({ err, argv }, 'could not delete conntrack entries');
      }
    }
    if (deletions.length) deps.log.debug({ deletions: deletions.length }, 'conntrack entries of removed rules deleted');
  }

  const serial = (job: () => Promise<void>): Promise<void> => {
    const run = tail.catch(() => undefined).then(job);
    tail = run;
    return run;
  };
  const without = (keep: (portId: string) => boolean): PortFilterState | undefined => applied && {
    ...applied.state, ports: applied.state.ports.filter((p) => keep(p.portId)),
  };

  return {
    sync: (state) => serial(() => apply(state)),
    remove: (portId) => serial(async () => {
      const next = without((id) => id !== portId);
      if (next) await apply(next);
    }),
    prune: (portIds) => serial(async () => {
      // A new process has applied nothing yet: whatever tables exist are from before, and nothing here claims them.
      const next = without((id) => portIds.has(id));
      await apply(next ?? { ports: [], groups: { rules: {}, members: {} } }, !next);
    }),
  };
}
