// IPv4/IPv6 addresses and CIDRs as bigints, so IPAM and overlap checks do exact arithmetic for both families.
import { isIPv4, isIPv6 } from 'node:net';

export type IpVersion = 4 | 6;

export interface Cidr {
  version: IpVersion;
  /** The network address. */
  network: bigint;
  prefixLength: number;
  /** The last address of the range (broadcast for IPv4). */
  last: bigint;
}

const BITS: Record<IpVersion, number> = { 4: 32, 6: 128 };

export function ipVersionOf(text: string): IpVersion | undefined {
  if (isIPv4(text)) return 4;
  if (isIPv6(text)) return 6;
  return undefined;
}

/** Parses an address; undefined when it is not a plain IPv4 or IPv6 address (no zone ids, no prefixes). */
export function parseIp(text: string): { version: IpVersion; value: bigint } | undefined {
  if (isIPv4(text)) {
    const parts = text.split('.').map(Number);
    return { version: 4, value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let head = text;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // An embedded dotted quad (::ffff:10.0.0.1) is the last two groups.
    const v4 = parseIp(text.slice(lastColon + 1));
    if (!v4) return undefined;
    head = `${text.slice(0, lastColon + 1)}${(v4.value >> 16n).toString(16)}:${(v4.value & 0xffffn).toString(16)}`;
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => BigInt(`0x${g}`)));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const missing = 8 - l.length - r.length;
  const all = [...l, ...(right === undefined ? [] : Array<bigint>(missing).fill(0n)), ...r];
  if (all.length !== 8) return undefined;
  return { version: 6, value: all.reduce((acc, g) => (acc << 16n) | g, 0n) };
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
export function formatIp(version: IpVersion, value: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.len).join(':')}`;
}

/** The canonical form of an address, or undefined when it is not one. */
export function normalizeIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip ? formatIp(ip.version, ip.value) : undefined;
}

/** Parses `addr/len`; `strict` refuses host bits after the prefix (Neutron wants the network address). */
export function parseCidr(text: string, strict = true): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(lenText)) return undefined;
  const prefixLength = Number(lenText);
  const bits = BITS[ip.version];
  if (prefixLength > bits) return undefined;
  const hostBits = BigInt(bits - prefixLength);
  const network = (ip.value >> hostBits) << hostBits;
  if (strict && network !== ip.value) return undefined;
  return { version: ip.version, network, prefixLength, last: network + (1n << hostBits) - 1n };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.version, c.network)}/${c.prefixLength}`;
}

export function cidrContains(c: Cidr, version: IpVersion, value: bigint): boolean {
  return c.version === version && value >= c.network && value <= c.last;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= b.last && b.network <= a.last;
}
