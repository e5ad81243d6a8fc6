// The EC2-compatible meta-data tree (`/<version>/meta-data/…`): what older tools and cloud-init's Ec2 datasource read.
// A directory is an object; a directory with `_name` lists as that name instead of `key/` (EC2's `0=<key name>`).
import type { Instance } from './instance.ts';

export type Ec2Value = string | number | string[] | Ec2Dir;
export interface Ec2Dir { [key: string]: Ec2Value }

/** EC2 meta-data versions, oldest first; `latest` is served as the newest. */
export const EC2_VERSIONS = ['1.0', '2007-01-19', '2007-03-01', '2007-08-29', '2007-10-10', '2007-12-15', '2008-02-01', '2008-09-01', '2009-04-04'] as const;

/**
 * EC2 ids are 32-bit numbers (`i-%08x`); instances here are keyed by uuid only, so the id is the uuid's first 32 bits:
 * stable for the instance's life and the same in the metadata service and on the config drive.
 */
export const ec2IdOf = (prefix: 'i' | 'ami', uuid: string | null): string =>
  `${prefix}-${(uuid ?? '').replace(/-/g, '').slice(0, 8).padEnd(8, '0').toLowerCase()}`;

export interface Ec2Input {
  instance: Instance;
  /** hostname with the DHCP domain, as in meta_data.json. */
  hostname: string;
  availabilityZone: string;
  /** The first fixed IPv4 address ('' when none) and the first floating one ('' when none). */
  fixedIpv4: string;
  floatingIpv4: string;
  /** Device names of the attached volumes (/dev/vdb…). */
  volumeDevices: string[];
}

/** EC2's block-device-mapping: the root disk (vda), the flavor's ephemeral and swap disks, then volumes as ebsN. */
function blockDeviceMapping(instance: Instance, volumeDevices: string[]): Ec2Dir {
  const mapping: Ec2Dir = { ami: 'vda', root: '/dev/vda' };
  let next = 'b'.charCodeAt(0);
  if (instance.flavor.ephemeral > 0) mapping.ephemeral0 = `/dev/vd${String.fromCharCode(next++)}`;
  if (instance.flavor.swap > 0) mapping.swap = `/dev/vd${String.fromCharCode(next++)}`;
  [...volumeDevices].sort().forEach((device, i) => { mapping[`ebs${i}`] = device; });
  return mapping;
}

/** The `meta-data` directory for one instance (every version serves the newest content). */
export function buildEc2MetaData(input: Ec2Input): Ec2Dir {
  const { instance } = input;
  const tree: Ec2Dir = {
    'ami-id': ec2IdOf('ami', instance.imageRef || null),
    'ami-launch-index': instance.launchIndex,
    'ami-manifest-path': 'FIXME',
    'block-device-mapping': blockDeviceMapping(instance, input.volumeDevices),
    hostname: input.hostname,
    'instance-action': 'none',
    'instance-id': ec2IdOf('i', instance.uuid),
    'instance-type': instance.flavor.name,
    'local-hostname': input.hostname,
    'local-ipv4': input.fixedIpv4,
    placement: { 'availability-zone': input.availabilityZone },
    'public-hostname': input.hostname,
    'public-ipv4': input.floatingIpv4,
    'reservation-id': instance.reservationId,
    'security-groups': instance.securityGroups,
  };
  if (instance.keyName && instance.keyData) {
    tree['public-keys'] = { 0: { _name: `0=${instance.keyName}`, 'openssh-key': instance.keyData } };
  }
  return tree;
}

/** The node at `path` (segments below the tree), or undefined when there is none. */
export function findEc2Node(tree: Ec2Dir, path: string[]): Ec2Value | undefined {
  let node: Ec2Value = tree;
  for (const segment of path) {
    if (typeof node !== 'object' || Array.isArray(node) || segment === '_name' || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}

/** A node as EC2 prints it: a directory lists its entries (`key/` for subdirectories), a list one item per line. */
export function renderEc2Node(node: Ec2Value): string {
  if (Array.isArray(node)) return node.join('\n');
  if (typeof node !== 'object') return String(node);
  return Object.keys(node).filter((k) => k !== '_name').sort().map((key) => {
    const child = node[key];
    if (typeof child !== 'object' || Array.isArray(child)) return key;
    return typeof child._name === 'string' ? child._name : `${key}/`;
  }).join('\n');
}
