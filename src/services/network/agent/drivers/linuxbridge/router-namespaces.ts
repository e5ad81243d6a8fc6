// Routers on the linuxbridge data plane, as Neutron's L3 agent wires them: a `qrouter-<id>` namespace with IP
// forwarding, a veth per leg (`tap…` on the network's bridge, `qr-…`/`qg-…` inside with the port's MAC and addresses),
// the default route via the external subnet's gateway plus extra routes, floating IPs as /32s on the gateway leg,
// one nftables table for NAT, and a metadata proxy. Each sync compares with what the namespace has and repairs it.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkSegment, RouterInfo, RouterLeg, RouterWiring } from '../data-plane-driver.ts';
import { bridgeName, routerGatewayName, routerInterfaceName, routerNamespace, tapName } from '../../../domain/device-names.ts';
import { formatIp, parseCidr, parseIp } from '../../../domain/ip-address.ts';
import type { HostRunner } from './host-runner.ts';
import type { IpLinks } from './ip-links.ts';
import type { MetadataProxies } from './metadata-proxy-process.ts';
import { METADATA_PROXY_PORT, gatewayAddress, routerRuleset } from './router-nat.ts';
import { createRouterIpv6 } from './router-ipv6.ts';

export interface RouterNamespaceDeps {
  runner: HostRunner;
  ip: IpLinks;
  proxies: MetadataProxies;
  /** The driver's own: makes a leg's network bridge exist. */
  ensureNetwork(segment: NetworkSegment): Promise<void>;
  /** The alias the leg's bridge end carries (the driver's port alias, so network deletes and resyncs know it). */
  portAlias(portId: string): string;
  stateDir: string;
  /** The metadata agent's socket; without it routers get no metadata proxy. */
  metadataSocket?: string;
}

const NS_PREFIX = 'qrouter-';
export const routerProxyKey = (routerId: string): string => `router-${routerId}`;

/** A route's destination as `ip` prints it: host routes without their /32 or /128, `default` as is. */
function routeKey(destination: string): string {
  const cidr = parseCidr(destination, false);
  if (!cidr) return destination;
  const full = cidr.prefixLength === (cidr.version === 4 ? 32 : 128);
  return full ? formatIp(cidr.version, cidr.network) : `${formatIp(cidr.version, cidr.network)}/${cidr.prefixLength}`;
}

/** `address/prefix` of each IPv4 address on a leg (IPv6 ones are router-ipv6.ts's). */
function legAddresses(leg: RouterLeg): string[] {
  return leg.addresses.flatMap((a) => {
    const cidr = parseCidr(a.cidr, false);
    return cidr?.version === 4 && parseIp(a.ipAddress)?.version === 4 ? [`${a.ipAddress}/${cidr.prefixLength}`] : [];
  });
}

export function createRouterNamespaces(deps: RouterNamespaceDeps) {
  const { runner, ip } = deps;
  const dirOf = (routerId: string) => join(deps.stateDir, 'routers', routerId);
  const ipv6 = createRouterIpv6({ runner, ip, stateDir: deps.stateDir });

  /** The leg's veth pair: bridge end on the network's bridge, namespace end named `inner` with the port's MAC. */
  async function ensureLeg(ns: string, leg: RouterLeg, inner: string): Promise<void> {
    await deps.ensureNetwork({ networkId: leg.networkId, ...leg.network });
    const outer = tapName(leg.portId);
    let host = (await ip.list()).get(outer);
    if (host && host.linkinfo?.info_kind !== 'veth') {
      await ip.delete(outer);
      host = undefined;
    }
    const insideLinks = await ip.list(ns);
    if (host && !insideLinks.has(inner)) {
      // The pair's other end is not where it belongs (an interrupted setup): start over.
      await ip.delete(outer);
      host = undefined;
    }
    if (!host) {
      if (insideLinks.has(inner)) await ip.delete(inner, ns);
      await runner.run(['ip', 'link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', ns]);
      host = (await ip.list()).get(outer)!;
    }
    await ip.converge(host, { master: bridgeName(leg.networkId), mtu: leg.network.mtu, alias: deps.portAlias(leg.portId), up: true });
    const inside = (await ip.list(ns)).get(inner);
    if (!inside) throw new Error(`the router leg ${inner} is missing from ${ns}`);
    await ip.converge(inside, { address: leg.macAddress, mtu: leg.network.mtu, up: true }, ns);
  }

  /**
   * Routes the namespace should have besides its connected ones, per address family: the default via the external
   * subnet's gateway (IPv6 routed, never NATed, as in Neutron), then extra routes.
   */
  async function syncRoutes(ns: string, router: RouterInfo): Promise<void> {
    for (const version of [4, 6] as const) {
      const want = new Map<string, string[]>();
      const gw = router.gateway;
      const nexthop = gw?.addresses.find((a) => a.gatewayIp && parseIp(a.gatewayIp)?.version === version)?.gatewayIp;
      if (gw && nexthop) want.set('default', ['via', nexthop, 'dev', routerGatewayName(gw.portId)]);
      for (const r of router.routes) {
        const cidr = parseCidr(r.destination, false);
        if (cidr?.version === version && parseIp(r.nexthop)?.version === version) want.set(cidr.prefixLength === 0 ? 'default' : routeKey(r.destination), ['via', r.nexthop]);
      }
      const family = version === 4 ? '-4' : '-6';
      // Routes we add carry iproute2's `boot` protocol; connected ones (and IPv6's kernel routes) stay untouched.
      const have = JSON.parse((await ip.run(['ip', family, '-json', 'route', 'show', 'proto', 'boot'], ns)).trim() || '[]') as { dst: string }[];
      for (const r of have) if (!want.has(routeKey(r.dst))) await ip.run(['ip', family, 'route', 'del', r.dst], ns);
      for (const [dst, via] of want) await ip.run(['ip', family, 'route', 'replace', dst, ...via], ns);
    }
  }

  async function deleteRouter(routerId: string): Promise<void> {
    await deps.proxies.remove(routerProxyKey(routerId));
    await ipv6.remove(routerId);
    // The namespace takes the legs' inner ends with it, and each veth's bridge end goes with its peer.
    await ip.deleteNamespace(routerNamespace(routerId));
    rmSync(dirOf(routerId), { recursive: true, force: true });
  }

  async function syncRouter(router: RouterInfo): Promise<RouterWiring> {
    if (!router.adminStateUp) {
      await deleteRouter(router.routerId);
      return { portIds: [], floatingIpIds: [] };
    }
    const ns = routerNamespace(router.routerId);
    await ip.ensureNamespace(ns);
    await ip.run(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'], ns);
    const legs = new Map<string, RouterLeg>();
    for (const leg of router.interfaces) legs.set(routerInterfaceName(leg.portId), leg);
    if (router.gateway) legs.set(routerGatewayName(router.gateway.portId), router.gateway);
    for (const link of (await ip.list(ns)).values()) {
      if (/^q[rg]-/.test(link.ifname) && !legs.has(link.ifname)) await ip.delete(link.ifname, ns);
    }
    const gatewayIp = gatewayAddress(router);
    const floating = router.gateway && gatewayIp ? router.floatingIps : [];
    for (const [inner, leg] of legs) {
      await ensureLeg(ns, leg, inner);
      // Floating IPs live on the gateway leg as /32s, so the namespace answers ARP for them on the external network.
      const extra = leg === router.gateway ? floating.map((f) => `${f.floatingIpAddress}/32`) : [];
      await ip.setAddresses(inner, [...legAddresses(leg), ...extra], ns);
    }
    await ipv6.sync(ns, router.routerId, legs, router.gateway ? routerGatewayName(router.gateway.portId) : undefined);
    await syncRoutes(ns, router);
    mkdirSync(dirOf(router.routerId), { recursive: true });
    const rulesetFile = join(dirOf(router.routerId), 'nat.nft');
    writeFileSync(rulesetFile, routerRuleset(router, { metadataProxy: Boolean(deps.metadataSocket) }));
    await ip.run(['nft', '-f', rulesetFile], ns);
    if (deps.metadataSocket) {
      await deps.proxies.apply(routerProxyKey(router.routerId), ns, {
        owner: { kind: 'router', id: router.routerId }, bindAddress: '0.0.0.0', port: METADATA_PROXY_PORT, socketPath: deps.metadataSocket,
      });
    }
    return { portIds: [...legs.values()].map((l) => l.portId), floatingIpIds: floating.map((f) => f.id) };
  }

  return {
    syncRouter,
    deleteRouter,
    /** Routers with a namespace or state here. */
    async routers(): Promise<string[]> {
      const fromNs = (await ip.namespaces()).filter((n) => n.startsWith(NS_PREFIX)).map((n) => n.slice(NS_PREFIX.length));
      const fromProxies = deps.proxies.keys().filter((k) => k.startsWith('router-')).map((k) => k.slice('router-'.length));
      return [...new Set([...fromNs, ...fromProxies, ...ipv6.routers()])];
    },
  };
}

export type RouterNamespaces = ReturnType<typeof createRouterNamespaces>;
