// The linuxbridge data plane: a Linux bridge per network (`brq…`) with its segment's leg (a VXLAN device on the
// tunnel address, or a flat/VLAN physical interface), a tap per port (`tap…`) for Compute to plug, and per network
// with DHCP a `qdhcp-…` namespace holding the DHCP port's veth end and a dnsmasq, per router a `qrouter-…` namespace
// (router-namespaces.ts), metadata proxies, the external network's host leg, and the ports' security group filters
// (port-firewall.ts). Every change compares what the host has with what is wanted and repairs the difference; every
// device carries an alias naming its owner, so a resync removes exactly the Stratus devices nothing claims.
import type { Logger } from '#lib/log.ts';
import type { DataPlaneDriver, DhcpNetwork, NetworkSegment } from '../data-plane-driver.ts';
import type { PortDetails } from '../../../domain/port-details.ts';
import { bridgeName, dhcpInterfaceName, dhcpNamespace, tapName, vxlanName } from '../../../domain/device-names.ts';
import { HostCommandError, createHostRunner } from './host-runner.ts';
import type { HostRunner } from './host-runner.ts';
import { convergeArgs, createIpLinks } from './ip-links.ts';
import type { LinkInfo } from './ip-links.ts';
import { ISOLATED_METADATA_CIDR, dhcpInterfaceAddresses, dnsmasqArgs, hostsFile, optsFile } from './dnsmasq-config.ts';
import { createDnsmasqProcesses } from './dnsmasq-process.ts';
import { createMetadataProxies } from './metadata-proxy-process.ts';
import { createRouterNamespaces } from './router-namespaces.ts';
import { METADATA_ADDRESS } from './router-nat.ts';
import { ensureExternalHostLeg } from './external-host-leg.ts';
import { createPortFirewall } from './port-firewall.ts';
import type { ExternalHostLeg } from './external-host-leg.ts';

export interface LinuxBridgeOptions {
  /** This host's VXLAN tunnel address (`local`); empty lets the kernel pick. */
  tunnelIp: string;
  /** A multicast group VXLAN floods to; empty for none (unicast peers, or one host). */
  vxlanGroup: string;
  /** Other hosts' tunnel addresses, flooded to by all-zero FDB entries. */
  vxlanPeers: string[];
  /** Physical network name → host interface, for flat and VLAN networks. */
  physicalInterfaces: Record<string, string>;
  /** Where DHCP servers keep pid, hosts and options files. */
  stateDir: string;
  dhcpLeaseSeconds: number;
  /** The external network's host leg; its physical end becomes `physicalNetwork`'s interface unless one is mapped. */
  externalHostLeg?: ExternalHostLeg & { physicalNetwork: string };
  /** The metadata agent's unix socket: routers (and isolated networks) get a metadata proxy forwarding to it. */
  metadataSocket?: string;
  /** Serve metadata from the DHCP namespace for subnets without a router (needs metadataSocket). */
  isolatedMetadata?: boolean;
  log: Logger;
  /** The host command runner (tests pass one to see what ran). */
  runner?: HostRunner;
}

export interface LinuxBridgeDriver extends DataPlaneDriver {
  readonly runner: HostRunner;
  syncRouter: NonNullable<DataPlaneDriver['syncRouter']>;
  deleteRouter: NonNullable<DataPlaneDriver['deleteRouter']>;
}

const VXLAN_PORT = 4789;
const portAlias = (portId: string) => `stratus:port:${portId}`;
const networkAlias = (networkId: string) => `stratus:network:${networkId}`;
const aliasId = (link: LinkInfo | undefined, kind: 'port' | 'network') => {
  const prefix = `stratus:${kind}:`;
  return link?.ifalias?.startsWith(prefix) ? link.ifalias.slice(prefix.length) : undefined;
};

export function createLinuxBridgeDriver(opts: LinuxBridgeOptions): LinuxBridgeDriver {
  const runner = opts.runner ?? createHostRunner();
  const ip = createIpLinks(runner);
  const dnsmasq = createDnsmasqProcesses(runner, opts.stateDir);
  const proxies = createMetadataProxies(runner, opts.stateDir);
  const physicalInterfaces = { ...opts.physicalInterfaces };
  const external = opts.externalHostLeg;
  if (external && !physicalInterfaces[external.physicalNetwork]) physicalInterfaces[external.physicalNetwork] = external.physicalInterface;
  const networkProxyKey = (networkId: string) => `network-${networkId}`;
  const firewall = createPortFirewall({ runner, stateDir: opts.stateDir, log: opts.log });

  async function ensureLink(name: string, create: string[], links?: Map<string, LinkInfo>): Promise<LinkInfo> {
    const have = (links ?? await ip.list()).get(name);
    if (have) return have;
    try {
      await runner.run(create);
    } catch (err) {
      // Routers and ports of one network are wired concurrently: the other one may have created it first.
      const raced = err instanceof HostCommandError && (await ip.list()).get(name);
      if (!raced) throw err;
      return raced;
    }
    return (await ip.list()).get(name)!;
  }

  async function ensureSegmentLeg(segment: NetworkSegment, links: Map<string, LinkInfo>): Promise<void> {
    const bridge = bridgeName(segment.networkId);
    const alias = networkAlias(segment.networkId);
    if (segment.networkType === 'vxlan' && segment.segmentationId !== null) {
      const name = vxlanName(segment.segmentationId);
      const have = links.get(name);
      const data = have?.linkinfo?.info_data;
      // A device with this name but other tunnel settings (a changed tunnel address) is rebuilt, not patched.
      if (have && (have.linkinfo?.info_kind !== 'vxlan' || data?.id !== segment.segmentationId || (opts.tunnelIp && data?.local !== opts.tunnelIp))) {
        await ip.delete(name);
        links.delete(name);
      }
      const create = ['ip', 'link', 'add', name, 'type', 'vxlan', 'id', String(segment.segmentationId), 'dstport', String(VXLAN_PORT),
        ...(opts.tunnelIp ? ['local', opts.tunnelIp] : []), ...(opts.vxlanGroup ? ['group', opts.vxlanGroup] : [])];
      const link = await ensureLink(name, create, links);
      await ip.converge(link, { master: bridge, mtu: segment.mtu, alias, up: true });
      if (opts.vxlanPeers.length) {
        const fdb = JSON.parse((await runner.run(['bridge', '-json', 'fdb', 'show', 'dev', name])).trim() || '[]') as { mac: string; dst?: string }[];
        for (const peer of opts.vxlanPeers) {
          if (!fdb.some((e) => e.mac === '00:00:00:00:00:00' && e.dst === peer)) await runner.run(['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', name, 'dst', peer]);
        }
      }
      return;
    }
    if (segment.networkType === 'flat' || segment.networkType === 'vlan') {
      const physical = segment.physicalNetwork ? physicalInterfaces[segment.physicalNetwork] : undefined;
      if (!physical) throw new Error(`no interface is mapped for physical network ${segment.physicalNetwork ?? '(none)'} (physical_interface_mappings)`);
      if (segment.networkType === 'flat') {
        const link = links.get(physical);
        if (!link) throw new Error(`interface ${physical} of physical network ${segment.physicalNetwork} does not exist`);
        await ip.converge(link, { master: bridge, up: true });
        return;
      }
      const name = `${physical}.${segment.segmentationId}`;
      if (name.length > 15) throw new Error(`VLAN interface name ${name} is longer than 15 characters`);
      const link = await ensureLink(name, ['ip', 'link', 'add', 'link', physical, 'name', name, 'type', 'vlan', 'id', String(segment.segmentationId)], links);
      await ip.converge(link, { master: bridge, alias, up: true });
    }
    // local: the bridge alone.
  }

  async function ensureNetwork(segment: NetworkSegment): Promise<void> {
    const links = await ip.list();
    const bridge = bridgeName(segment.networkId);
    const link = await ensureLink(bridge, ['ip', 'link', 'add', 'name', bridge, 'type', 'bridge'], links);
    await ip.converge(link, { alias: networkAlias(segment.networkId), up: true });
    // Bridged IP traffic meets conntrack and the port filters only through br_netfilter: switched on per bridge, so
    // it does not hang on the host-wide sysctl.
    const nf = link.linkinfo?.info_data;
    if (nf?.nf_call_iptables !== 1 || nf.nf_call_ip6tables !== 1) {
      await runner.run(['ip', 'link', 'set', 'dev', bridge, 'type', 'bridge', 'nf_call_iptables', '1', 'nf_call_ip6tables', '1']);
    }
    // The first listing still shows the segment's leg as it was: only the bridge may have been created since.
    await ensureSegmentLeg(segment, links);
  }

  /** The DHCP port's veth pair: the `tap…` end on the bridge, the `ns-…` end in the namespace with the port's MAC. */
  async function ensureDhcpInterface(networkId: string, port: { portId: string; macAddress: string }, mtu: number): Promise<string> {
    const ns = dhcpNamespace(networkId);
    await ip.ensureNamespace(ns);
    const hostEnd = tapName(port.portId);
    const nsEnd = dhcpInterfaceName(port.portId);
    let host = (await ip.list()).get(hostEnd);
    if (host && host.linkinfo?.info_kind !== 'veth') {
      await ip.delete(hostEnd);
      host = undefined;
    }
    if (!host) {
      // A half left from an interrupted setup would block the new pair's name.
      if ((await ip.list(ns)).has(nsEnd)) await ip.delete(nsEnd, ns);
      await runner.run(['ip', 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd, 'netns', ns]);
      host = (await ip.list()).get(hostEnd)!;
    }
    await ip.converge(host, { master: bridgeName(networkId), mtu, alias: portAlias(port.portId), up: true });
    const inside = (await ip.list(ns)).get(nsEnd);
    if (!inside) throw new Error(`the DHCP interface ${nsEnd} is missing from ${ns}`);
    await ip.converge(inside, { address: port.macAddress, mtu, up: true }, ns);
    return nsEnd;
  }

  async function deleteDhcp(networkId: string): Promise<void> {
    await proxies.remove(networkProxyKey(networkId));
    await dnsmasq.remove(networkId);
    // The namespace takes the veth's inner end with it, and the pair's bridge end goes too.
    await ip.deleteNamespace(dhcpNamespace(networkId));
  }

  async function deleteNetwork(networkId: string): Promise<void> {
    await deleteDhcp(networkId);
    const bridge = bridgeName(networkId);
    const links = await ip.list();
    for (const link of links.values()) {
      const ours = aliasId(link, 'port') !== undefined || aliasId(link, 'network') === networkId;
      if (link.master === bridge) {
        // Our taps, VXLAN and VLAN devices go; a physical interface is only let go of.
        if (ours) await ip.delete(link.ifname);
        else await ip.converge(link, { master: null });
      } else if (link.ifname !== bridge && aliasId(link, 'network') === networkId) {
        await ip.delete(link.ifname);
      }
    }
    if (links.has(bridge)) await ip.delete(bridge);
  }

  async function plugPort(port: PortDetails): Promise<void> {
    await ensureNetwork({ networkId: port.networkId, ...port.network });
    if (port.deviceOwner === 'network:dhcp') {
      await ensureDhcpInterface(port.networkId, port, port.network.mtu);
      return;
    }
    const name = tapName(port.portId);
    const link = await ensureLink(name, ['ip', 'tuntap', 'add', 'dev', name, 'mode', 'tap']);
    await ip.converge(link, { master: bridgeName(port.networkId), mtu: port.network.mtu, alias: portAlias(port.portId), up: port.adminStateUp });
  }

  const routers = createRouterNamespaces({
    runner, ip, proxies, ensureNetwork, portAlias, stateDir: opts.stateDir, metadataSocket: opts.metadataSocket,
  });

  return {
    name: 'linuxbridge',
    runner,
    async prepareHost() {
      if (external) await ensureExternalHostLeg(ip, external);
    },
    ensureNetwork,
    deleteNetwork,
    syncRouter: routers.syncRouter,
    deleteRouter: routers.deleteRouter,
    plugPort,
    async plugPorts(ports) {
      // A burst of one network's VM ports: its bridge once, one listing, the missing taps and every difference in one
      // `ip -batch` each. A failure leaves some ports half wired: the agent then plugs each on its own, which repairs.
      const taps = ports.filter((p) => p.deviceOwner !== 'network:dhcp');
      if (taps.length) {
        await ensureNetwork({ networkId: taps[0].networkId, ...taps[0].network });
        let links = await ip.list();
        const missing = taps.filter((p) => !links.has(tapName(p.portId)));
        if (missing.length) {
          await ip.batch(missing.map((p) => ['tuntap', 'add', 'dev', tapName(p.portId), 'mode', 'tap']));
          links = await ip.list();
        }
        await ip.batch(taps.flatMap((p) => {
          const link = links.get(tapName(p.portId));
          if (!link) throw new Error(`tap ${tapName(p.portId)} is missing after its creation`);
          const args = convergeArgs(link, { master: bridgeName(p.networkId), mtu: p.network.mtu, alias: portAlias(p.portId), up: p.adminStateUp });
          return args.length ? [['link', 'set', 'dev', link.ifname, ...args]] : [];
        }));
      }
      for (const port of ports) if (port.deviceOwner === 'network:dhcp') await plugPort(port);
    },
    async unplugPort(portId) {
      if ((await ip.list()).has(tapName(portId))) await ip.delete(tapName(portId));
      await firewall.remove(portId);
    },
    syncPortFilters: (state) => firewall.sync(state),
    async pluggedPorts() {
      return [...(await ip.list()).values()].flatMap((l) => aliasId(l, 'port') ?? []);
    },
    async syncDhcp(network: DhcpNetwork) {
      if (!network.dhcpPort) {
        await deleteDhcp(network.networkId);
        return;
      }
      await ensureNetwork({ networkId: network.networkId, ...network.network });
      const ns = dhcpNamespace(network.networkId);
      const iface = await ensureDhcpInterface(network.networkId, network.dhcpPort, network.network.mtu);
      // Isolated metadata: the namespace holds 169.254.169.254 and proxies it for subnets no router serves.
      const isolated = Boolean(opts.metadataSocket && opts.isolatedMetadata && network.subnets.some((s) => s.isolated && s.ipVersion === 4));
      const addresses = dhcpInterfaceAddresses(network);
      await ip.setAddresses(iface, [...addresses.filter((a) => !a.includes(':')), ...(isolated ? [ISOLATED_METADATA_CIDR] : [])], ns);
      await ip.setIpv6Addresses(iface, addresses.filter((a) => a.includes(':')), ns);
      await dnsmasq.apply(network.networkId, ns, {
        args: dnsmasqArgs(network, { interfaceName: iface, files: dnsmasq.files(network.networkId), leaseSeconds: opts.dhcpLeaseSeconds }),
        hosts: hostsFile(network), opts: optsFile(network, { isolatedMetadata: isolated }),
      });
      if (isolated) {
        await proxies.apply(networkProxyKey(network.networkId), ns, {
          owner: { kind: 'network', id: network.networkId }, bindAddress: METADATA_ADDRESS, port: 80, socketPath: opts.metadataSocket!,
        });
      } else {
        await proxies.remove(networkProxyKey(network.networkId));
      }
    },
    deleteDhcp,
    async removeUnclaimed({ portIds, networkIds, routerIds }) {
      const ports = new Set(portIds);
      const networks = new Set(networkIds);
      if (routerIds) {
        const keep = new Set(routerIds);
        for (const id of await routers.routers()) if (!keep.has(id)) await routers.deleteRouter(id);
      }
      for (const key of proxies.keys()) {
        if (key.startsWith('network-') && !networks.has(key.slice('network-'.length))) await proxies.remove(key);
      }
      for (const ns of await ip.namespaces()) {
        if (ns.startsWith('qdhcp-') && !networks.has(ns.slice('qdhcp-'.length))) await deleteDhcp(ns.slice('qdhcp-'.length));
      }
      for (const id of dnsmasq.networks()) if (!networks.has(id)) await deleteDhcp(id);
      for (const link of (await ip.list()).values()) {
        const network = aliasId(link, 'network');
        if (link.ifname.startsWith('brq') && network !== undefined && !networks.has(network)) await deleteNetwork(network);
      }
      for (const link of (await ip.list()).values()) {
        const port = aliasId(link, 'port');
        const network = aliasId(link, 'network');
        if (link.ifname.startsWith('tap') && port !== undefined && !ports.has(port)) await ip.delete(link.ifname);
        else if (link.ifname.startsWith('vxlan-') && network !== undefined && !networks.has(network)) await ip.delete(link.ifname);
      }
      await firewall.prune(ports);
      opts.log.info({ ports: ports.size, networks: networks.size, routers: routerIds?.length }, 'linuxbridge resync removed what nothing claims');
    },
    async close() { /* nothing held in process: what is wired stays wired */ },
  };
}
