// IPv6 on routers, beside the IPv4 wiring of router-namespaces.ts: each leg gets its IPv6 subnets' addresses (an
// interface leg its subnet's gateway, the gateway leg its address on the external subnet), the namespace forwards
// IPv6, and subnets with an ipv6_ra_mode get router advertisements from the router's namespace, as Neutron's L3 agent
// sends them (radvd there; a dnsmasq with --enable-ra here, one per router): `slaac` advertises the prefix for
// autoconfiguration, `dhcpv6-stateless` also sets the other-config flag, `dhcpv6-stateful` sets the managed flag and
// advertises the prefix on-link only. The router answers no DHCPv6 itself: the network's DHCP server does.
import { join } from 'node:path';
import type { RouterLeg } from '../data-plane-driver.ts';
import { formatIp, parseCidr, parseIp } from '../../../domain/ip-address.ts';
import type { HostRunner } from './host-runner.ts';
import type { IpLinks } from './ip-links.ts';
import { createDnsmasqProcesses } from './dnsmasq-process.ts';

/**
 * The dnsmasq dhcp-range mode for each ipv6_ra_mode: `ra-only` (prefix autonomous, no flags), `ra-stateless`
 * (autonomous, O), `static` (a DHCP range: M and O, the prefix on-link but not autonomous).
 */
const RA_MODES: Record<string, string> = { slaac: 'ra-only', 'dhcpv6-stateless': 'ra-stateless', 'dhcpv6-stateful': 'static' };

/** `address/prefix` of each IPv6 address on a leg. */
export function legIpv6Addresses(leg: RouterLeg): string[] {
  return leg.addresses.flatMap((a) => {
    const cidr = parseCidr(a.cidr, false);
    const ip = parseIp(a.ipAddress);
    return cidr?.version === 6 && ip?.version === 6 ? [`${formatIp(6, ip.value)}/${cidr.prefixLength}`] : [];
  });
}

/** The RA daemon's command line for these interface legs (keyed by their device in the namespace); none to advertise: undefined. */
export function routerAdvertisementArgs(legs: Map<string, RouterLeg>, pidFile: string): string[] | undefined {
  const ranges = new Set<string>();
  const interfaces = new Set<string>();
  for (const [inner, leg] of [...legs].sort(([a], [b]) => a.localeCompare(b))) {
    for (const a of leg.addresses) {
      const cidr = parseCidr(a.cidr, false);
      const mode = a.ipv6RaMode ? RA_MODES[a.ipv6RaMode] : undefined;
      if (cidr?.version !== 6 || !mode || !/^q[rg]-[A-Za-z0-9-]+$/.test(inner)) continue;
      // The prefixes come from the interface's own addresses (constructor:), so the range names no prefix itself.
      ranges.add(`--dhcp-range=::,constructor:${inner},${mode},${cidr.prefixLength}`);
      interfaces.add(inner);
    }
  }
  if (!ranges.size) return undefined;
  return [
    'dnsmasq', '--no-hosts', '--no-resolv', '--conf-file=/dev/null', '--port=0', '--user=root', `--pid-file=${pidFile}`,
    '--leasefile-ro', '--enable-ra', '--bind-interfaces', ...[...interfaces].map((i) => `--interface=${i}`), '--except-interface=lo', ...ranges,
    // Every DHCPv6 packet carries the `dhcpv6` tag: advertisements only, so guests hear one DHCPv6 server per network.
    '--dhcp-ignore=tag:dhcpv6',
  ];
}

export function createRouterIpv6(deps: { runner: HostRunner; ip: IpLinks; stateDir: string }) {
  const advertisers = createDnsmasqProcesses(deps.runner, join(deps.stateDir, 'router-advertisements'));

  return {
    /**
     * Makes the legs' IPv6 addresses, forwarding and advertisements what `legs` says; the gateway leg (`gatewayInner`)
     * gets its addresses but sends no advertisements. Idempotent.
     */
    async sync(ns: string, routerId: string, legs: Map<string, RouterLeg>, gatewayInner?: string): Promise<void> {
      const v6 = [...legs].filter(([, leg]) => legIpv6Addresses(leg).length);
      if (v6.length) await deps.ip.run(['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1'], ns);
      for (const [inner, leg] of legs) await deps.ip.setIpv6Addresses(inner, legIpv6Addresses(leg), ns);
      const args = routerAdvertisementArgs(new Map(v6.filter(([inner]) => inner !== gatewayInner)), advertisers.files(routerId).pid);
      if (args) await advertisers.apply(routerId, ns, { args, hosts: '', opts: '' });
      else await advertisers.remove(routerId);
    },
    /** Stops the router's advertisements (its namespace goes separately). Idempotent. */
    remove: (routerId: string) => advertisers.remove(routerId),
    /** Routers with advertisement state here (so a resync finds an advertiser whose namespace went). */
    routers: (): string[] => advertisers.networks(),
  };
}
