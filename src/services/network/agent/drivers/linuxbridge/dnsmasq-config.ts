// What one network's dnsmasq is told, rendered without I/O: its command line (one tagged static range per DHCP
// subnet), the hosts file (MAC, name, fixed address per port) and the options file (router, DNS servers, host routes
// as classless static routes, MTU), as Neutron's DHCP agent writes them. IPv6 subnets as Neutron serves them:
// dhcpv6-stateful (or no mode at all) hands each port its fixed address, matched by MAC (dnsmasq finds a DHCPv6
// client's MAC in its DUID or neighbor entry), with DNS servers; dhcpv6-stateless answers information requests
// (DNS) only; SLAAC subnets are not served (their guests configure themselves from the router's advertisements).
import type { DhcpNetwork } from '../data-plane-driver.ts';
import type { DhcpSubnet } from '../../../domain/dhcp-network.ts';
import { cidrContains, formatIp, parseCidr, parseIp } from '../../../domain/ip-address.ts';

export interface DnsmasqFiles { pid: string; hosts: string; opts: string }

const tag = (subnetId: string) => `subnet-${subnetId}`;

/** The metadata address as the DHCP namespace holds it for isolated subnets. */
export const ISOLATED_METADATA_CIDR = '169.254.169.254/32';

function netmask(prefixLength: number): string {
  const mask = prefixLength === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefixLength)) - 1n);
  return formatIp(4, mask);
}

/** The address (with prefix, as `ip` prints it) each DHCP subnet gives the DHCP port's interface. */
export function dhcpInterfaceAddresses(network: DhcpNetwork): string[] {
  return (network.dhcpPort?.fixedIps ?? []).flatMap((f) => {
    const subnet = network.subnets.find((s) => s.subnetId === f.subnetId);
    const cidr = subnet && parseCidr(subnet.cidr, false);
    const ip = parseIp(f.ipAddress);
    return cidr && ip ? [`${formatIp(ip.version, ip.value)}/${cidr.prefixLength}`] : [];
  });
}

/**
 * Whether dnsmasq serves the subnet: every IPv4 one; an IPv6 one in address mode dhcpv6-stateful or
 * dhcpv6-stateless, or with neither mode set, and (as Neutron skips the others) a prefix of /64 or longer.
 */
export function servedSubnet(s: DhcpSubnet): boolean {
  if (s.ipVersion === 4) return true;
  const mode = s.ipv6AddressMode ?? null;
  const dhcpMode = mode === 'dhcpv6-stateful' || mode === 'dhcpv6-stateless' || (mode === null && !s.ipv6RaMode);
  return dhcpMode && (parseCidr(s.cidr, false)?.prefixLength ?? 0) >= 64;
}

/** Whether the subnet's ports get their address from dnsmasq (stateless and SLAAC subnets configure their own). */
const givesAddresses = (s: DhcpSubnet) => servedSubnet(s) && (s.ipVersion === 4 || s.ipv6AddressMode !== 'dhcpv6-stateless');

export function dnsmasqArgs(network: DhcpNetwork, opts: { interfaceName: string; files: DnsmasqFiles; leaseSeconds: number }): string[] {
  // `static`: only the hosts file's ports get addresses; a stateless subnet has none there, so its clients get
  // answers to information requests only.
  const ranges = network.subnets.filter(servedSubnet).flatMap((s) => {
    const cidr = parseCidr(s.cidr, false);
    if (cidr?.version === 4) return [`--dhcp-range=set:${tag(s.subnetId)},${formatIp(4, cidr.network)},static,${netmask(cidr.prefixLength)},${opts.leaseSeconds}s`];
    return cidr ? [`--dhcp-range=set:${tag(s.subnetId)},${formatIp(6, cidr.network)},static,${cidr.prefixLength},${opts.leaseSeconds}s`] : [];
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
  const given = network.subnets.filter(givesAddresses).map((s) => parseCidr(s.cidr, false)!);
  return network.hosts.flatMap((h) => {
    const ip = parseIp(h.ipAddress);
    if (!ip || !given.some((c) => cidrContains(c, ip.version, ip.value))) return [];
    // dnsmasq takes IPv6 addresses in brackets.
    return [`${h.macAddress},${h.hostname},${ip.version === 6 ? `[${formatIp(6, ip.value)}]` : h.ipAddress}\n`];
  }).join('');
}

/**
 * The options file. With `isolatedMetadata`, subnets without a router get a host route to 169.254.169.254 via the
 * DHCP port, whose namespace answers metadata for them (Neutron's enable_isolated_metadata).
 */
export function optsFile(network: DhcpNetwork, opts: { isolatedMetadata?: boolean } = {}): string {
  const lines = [`option:mtu,${network.network.mtu}`];
  for (const s of network.subnets.filter(servedSubnet)) {
    const t = `tag:${tag(s.subnetId)}`;
    if (s.ipVersion === 6) {
      // Routes come from the router's advertisements, not DHCPv6: DNS servers and the search domain only.
      const dns = s.dnsNameservers.flatMap((d) => { const ip = parseIp(d); return ip?.version === 6 ? [`[${formatIp(6, ip.value)}]`] : []; });
      if (dns.length) lines.push(`${t},option6:dns-server,${dns.join(',')}`);
      lines.push(`${t},option6:domain-search,openstacklocal`);
      continue;
    }
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
