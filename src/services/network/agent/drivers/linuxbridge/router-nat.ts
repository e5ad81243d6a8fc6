// A router namespace's nftables ruleset, rendered without I/O: one `ip stratus` table replaced in a single `nft -f`
// transaction (create-if-missing, delete, define), holding the metadata redirect, floating IPs as DNAT/SNAT pairs
// and SNAT of the internal subnets to the gateway address, as Neutron's L3 agent sets up with iptables.
import type { RouterInfo } from '../data-plane-driver.ts';
import { formatCidr, formatIp, parseCidr, parseIp } from '../../../domain/ip-address.ts';
import { routerGatewayName } from '../../../domain/device-names.ts';

export const NAT_TABLE = 'stratus';
export const METADATA_ADDRESS = '169.254.169.254';
/** Where a router's metadata proxy listens inside its namespace (Neutron's port). */
export const METADATA_PROXY_PORT = 9697;

/** The address in canonical IPv4 text, or an error: nothing unchecked is written into a ruleset. */
function ipv4(text: string): string {
  const ip = parseIp(text);
  if (ip?.version !== 4) throw new Error(`'${text}' is not an IPv4 address`);
  return formatIp(4, ip.value);
}

/** The gateway leg's first IPv4 address (the SNAT source), if the router has a gateway. */
export function gatewayAddress(router: RouterInfo): string | undefined {
  return router.gateway?.addresses.find((a) => parseIp(a.ipAddress)?.version === 4)?.ipAddress;
}

export function routerRuleset(router: RouterInfo, opts: { metadataProxy: boolean }): string {
  const prerouting: string[] = [];
  const output: string[] = [];
  const postrouting: string[] = [];
  if (opts.metadataProxy) {
    prerouting.push(`iifname "qr-*" ip daddr ${METADATA_ADDRESS} tcp dport 80 redirect to :${METADATA_PROXY_PORT}`);
  }
  const gatewayIp = gatewayAddress(router);
  if (router.gateway && gatewayIp) {
    const qg = routerGatewayName(router.gateway.portId);
    for (const fip of router.floatingIps) {
      const floating = ipv4(fip.floatingIpAddress);
      const fixed = ipv4(fip.fixedIpAddress);
      prerouting.push(`ip daddr ${floating} dnat to ${fixed}`);
      output.push(`ip daddr ${floating} dnat to ${fixed}`);
      postrouting.push(`oifname "${qg}" ip saddr ${fixed} snat to ${floating}`);
    }
    if (router.enableSnat) {
      for (const leg of router.interfaces) {
        for (const a of leg.addresses) {
          const cidr = parseCidr(a.cidr, false);
          if (cidr?.version === 4) postrouting.push(`oifname "${qg}" ip saddr ${formatCidr(cidr)} snat to ${ipv4(gatewayIp)}`);
        }
      }
    }
  }
  const chain = (name: string, hook: string, priority: string, rules: string[]) => [
    `  chain ${name} {`, `    type nat hook ${hook} priority ${priority}; policy accept;`, ...rules.map((r) => `    ${r}`), '  }',
  ];
  return [
    `table ip ${NAT_TABLE}`, `delete table ip ${NAT_TABLE}`, `table ip ${NAT_TABLE} {`,
    ...chain('prerouting', 'prerouting', 'dstnat', prerouting),
    ...chain('output', 'output', '-100', output),
    ...chain('postrouting', 'postrouting', 'srcnat', postrouting),
    '}', '',
  ].join('\n');
}
