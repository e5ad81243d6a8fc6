// MAC addresses: Neutron's fa:16:3e OUI for generated ones, and the check for requested ones.
import { randomBytes } from 'node:crypto';

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

export function generateMac(prefix = 'fa:16:3e'): string {
  return `${prefix}:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

/** Lower-case colon form, or undefined when the text is not a unicast-usable MAC address. */
export function normalizeMac(text: string): string | undefined {
  const mac = text.toLowerCase().replaceAll('-', ':');
  if (!MAC.test(mac) || mac === '00:00:00:00:00:00' || mac === 'ff:ff:ff:ff:ff:ff') return undefined;
  if (parseInt(mac.slice(0, 2), 16) & 1) return undefined;
  return mac;
}
