// Links and namespaces through iproute2: read with `ip -json -details`, change with plain `ip` commands. Each
// helper is idempotent where the driver needs it to be (create-if-missing, delete-if-present).
import type { HostRunner } from './host-runner.ts';

/** What the driver reads of `ip -json -details link show`. */
export interface LinkInfo {
  ifname: string;
  mtu?: number;
  master?: string;
  operstate?: string;
  flags?: string[];
  ifalias?: string;
  address?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; group?: string; dstport?: number; nf_call_iptables?: number; nf_call_ip6tables?: number } };
}

export interface LinkWanted { master?: string | null; mtu?: number; alias?: string; up?: boolean; address?: string }

/**
 * The `ip link set` arguments that bring `link` to `want`, empty when nothing differs: one command (one netlink
 * request) instead of one per attribute, which is most of a port's cost on a loaded host.
 */
export function convergeArgs(link: LinkInfo, want: LinkWanted): string[] {
  const args: string[] = [];
  if (want.address && link.address !== want.address) args.push('address', want.address);
  if (want.mtu && link.mtu !== want.mtu) args.push('mtu', String(want.mtu));
  if (want.alias && link.ifalias !== want.alias) args.push('alias', want.alias);
  if (want.master === null && link.master) args.push('nomaster');
  else if (want.master && link.master !== want.master) args.push('master', want.master);
  const isUp = link.flags?.includes('UP') ?? false;
  if (want.up !== undefined && want.up !== isUp) args.push(want.up ? 'up' : 'down');
  return args;
}

export function createIpLinks(runner: HostRunner) {
  const inNs = (ns: string | undefined, argv: string[]) => (ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv);
  return {
    async list(ns?: string): Promise<Map<string, LinkInfo>> {
      const links = ns ? JSON.parse((await runner.run(inNs(ns, ['ip', '-json', '-details', 'link', 'show']))).trim() || '[]') as LinkInfo[]
        : await runner.ipJson<LinkInfo>(['-details', 'link', 'show']);
      return new Map(links.map((l) => [l.ifname, l]));
    },
    async delete(name: string, ns?: string): Promise<void> {
      await runner.run(inNs(ns, ['ip', 'link', 'del', 'dev', name]));
    },
    /** Brings the link to the wanted master, MTU, alias and state, changing only what differs (one command). */
    async converge(link: LinkInfo, want: LinkWanted, ns?: string): Promise<void> {
      const args = convergeArgs(link, want);
      if (args.length) await runner.run(inNs(ns, ['ip', 'link', 'set', 'dev', link.ifname, ...args]));
    },
    /**
     * Runs `ip` commands (argv without the leading `ip`) through one `ip -batch` process, in order. Rejects with the
     * batch's error when any failed (commands before it have run; callers repair idempotently).
     */
    async batch(commands: string[][]): Promise<void> {
      if (!commands.length) return;
      if (commands.length === 1) {
        await runner.run(['ip', ...commands[0]]);
        return;
      }
      await runner.runWithInput(['ip', '-batch', '-'], `${commands.map((c) => c.join(' ')).join('\n')}\n`);
    },
    async addresses(name: string, ns?: string): Promise<string[]> {
      const out = JSON.parse((await runner.run(inNs(ns, ['ip', '-json', 'addr', 'show', 'dev', name]))).trim() || '[]') as { addr_info?: { family: string; local: string; prefixlen: number }[] }[];
      return (out[0]?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
    },
    async setAddresses(name: string, want: string[], ns?: string): Promise<void> {
      const have = await this.addresses(name, ns);
      for (const a of have) if (!want.includes(a)) await runner.run(inNs(ns, ['ip', 'addr', 'del', a, 'dev', name]));
      for (const a of want) if (!have.includes(a)) await runner.run(inNs(ns, ['ip', 'addr', 'add', a, 'dev', name]));
    },
    /**
     * The IPv6 counterpart of setAddresses for global addresses (`want` as `ip` prints them, e.g. fd00::1/64); link-local
     * ones are the kernel's. Every address here is unique by IPAM or configuration: no duplicate address detection.
     */
    async setIpv6Addresses(name: string, want: string[], ns?: string): Promise<void> {
      const out = JSON.parse((await runner.run(inNs(ns, ['ip', '-json', 'addr', 'show', 'dev', name]))).trim() || '[]') as { addr_info?: { family: string; local: string; prefixlen: number; scope: string }[] }[];
      const have = (out[0]?.addr_info ?? []).filter((a) => a.family === 'inet6' && a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
      for (const a of have) if (!want.includes(a)) await runner.run(inNs(ns, ['ip', 'addr', 'del', a, 'dev', name]));
      for (const a of want) if (!have.includes(a)) await runner.run(inNs(ns, ['ip', 'addr', 'add', a, 'dev', name, 'nodad']));
    },
    async namespaces(): Promise<string[]> {
      return (await runner.ipJson<{ name: string }>(['netns', 'list'])).map((n) => n.name);
    },
    async ensureNamespace(ns: string): Promise<void> {
      if ((await this.namespaces()).includes(ns)) return;
      await runner.run(['ip', 'netns', 'add', ns]);
      await runner.run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'dev', 'lo', 'up']);
    },
    async deleteNamespace(ns: string): Promise<void> {
      if ((await this.namespaces()).includes(ns)) await runner.run(['ip', 'netns', 'del', ns]);
    },
    run: (argv: string[], ns?: string) => runner.run(inNs(ns, argv)),
  };
}

export type IpLinks = ReturnType<typeof createIpLinks>;
