// What one network's dnsmasq is told, rendered without I/O: its command line (one tagged static range per DHCP
// subnet), the hosts file (MAC, name, fixed address per port) and the options file (router, DNS servers, host routes
// as classless static routes, MTU), as Neutron's DHCP agent writes them.
import type { DhcpNetwork } from '../data-plane-driver.ts';
import { formatIp, parseCidr } from '../../../domain/ip-address.ts';

export interface DnsmasqFiles { pid: string; hosts: string; opts: string }

const tag = (subnetId: string) => `subnet-${subnetId}`;

/** The metadata address as the DHCP namespace holds it for isolated subnets. */
export const ISOLATED_METADATA_CIDR = '169.254.169.254/32';

function netmask(prefixLength: number): string {
  const mask = prefixLength === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefixLength)) - 1n);
  return formatIp(4, mask);
}

/** The address (with prefix) each DHCP subnet gives the DHCP port's interface. */
export function dhcpInterfaceAddresses(network: DhcpNetwork): string[] {
  return (network.dhcpPort?.fixedIps ?? []).flatMap((f) => {
    const subnet = network.subnets.find((s) => s.subnetId === f.subnetId);
    const cidr = subnet && parseCidr(subnet.cidr, false);
    return cidr ? [`${f.ipAddress}/${cidr.prefixLength}`] : [];
  });
}

export function dnsmasqArgs(network: DhcpNetwork, opts: { interfaceName: string; files: DnsmasqFiles; leaseSeconds: number }): string[] {
  const ranges = network.subnets.flatMap((s) => {
    const cidr = parseCidr(s.cidr, false);
    return cidr?.version === 4 ? [`--dhcp-range=set:${tag(s.subnetId)},${formatIp(4, cidr.network)},static,${netmask(cidr.prefixLength)},${opts.leaseSeconds}s`] : [];
  });
  return [
    'dnsmasq', '--no-hosts', '--no-resolv', '--conf-file=/dev/null',
    // DHCP only: DNS names are a later slice (port 0 turns dnsmasq's DNS server off).
    '--port=0',
    // Stays root so a SIGHUP can reread files under the agent's private state directory.
    '--user=root',
    `--pid-file=${opts.files.pid}`, `--dhcp-hostsfile=${opts.files.hosts}`, `--dhcp-optsfile=${opts.files.opts}`,
    '--leasefile-ro', '--dhcp-authoritative', '--bind-interfaces', `--interface=${opts.interfaceName}`, '--except-interface=lo',
    '--domain=openstacklocal', ...ranges,
  ];
}

export function hostsFile(network: DhcpNetwork): string {
  return network.hosts.map((h) => `${h.macAddress},${h.hostname},${h.ipAddress}\n`).join('');
}

/**
 * The options file. With `isolatedMetadata`, subnets without a router get a host route to 169.254.169.254 via the
 * DHCP port, whose namespace answers metadata for them (Neutron's enable_isolated_metadata).
 */
export function optsFile(network: DhcpNetwork, opts: { isolatedMetadata?: boolean } = {}): string {
  const lines = [`option:mtu,${network.network.mtu}`];
  for (const s of network.subnets) {
    const t = `tag:${tag(s.subnetId)}`;
    // An empty router option tells clients there is no gateway rather than guessing one.
    lines.push(s.gatewayIp ? `${t},option:router,${s.gatewayIp}` : `${t},option:router`);
    if (s.dnsNameservers.length) lines.push(`${t},option:dns-server,${s.dnsNameservers.join(',')}`);
    const dhcpIp = network.dhcpPort?.fixedIps.find((f) => f.subnetId === s.subnetId)?.ipAddress;
    const metadataRoute = opts.isolatedMetadata && s.isolated && dhcpIp ? [`${ISOLATED_METADATA_CIDR},${dhcpIp}`] : [];
    if (s.hostRoutes.length || metadataRoute.length) {
      // Clients that take classless routes ignore the router option, so the default route goes in too (RFC 3442).
      const routes = [...metadataRoute, ...s.hostRoutes.map((r) => `${r.destination},${r.nexthop}`), ...(s.gatewayIp ? [`0.0.0.0/0,${s.gatewayIp}`] : [])];
      lines.push(`${t},option:classless-static-route,${routes.join(',')}`);
      lines.push(`${t},249,${routes.join(',')}`);
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}
