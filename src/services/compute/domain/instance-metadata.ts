// The documents a guest reads about itself — from the metadata service or a config drive — built from the instance,
// its ports as Networking describes them and its key pair, in the shapes OpenStack guests (cloud-init, CirrOS) expect.
import type { Instance } from './instance.ts';
import { DEFAULT_ZONE } from './zones.ts';
import { buildNetworkData } from './network-metadata.ts';
import type { MetadataPort, MetadataSubnet, NetworkData } from './network-metadata.ts';
import { EC2_VERSIONS, buildEc2MetaData } from './ec2-metadata.ts';
import type { Ec2Dir } from './ec2-metadata.ts';

export type { MetadataPort, MetadataSubnet, NetworkData } from './network-metadata.ts';
export { EC2_VERSIONS } from './ec2-metadata.ts';

/**
 * The OpenStack metadata versions, oldest first (Folsom … Victoria); `latest` is the newest. Every version serves the
 * newest content: guests ask for the newest version they know and ignore fields they do not.
 */
export const OPENSTACK_VERSIONS = ['2012-08-10', '2013-04-04', '2013-10-17', '2015-10-15', '2016-06-30', '2016-10-06', '2017-02-22', '2018-08-27', '2020-10-14'] as const;

/** The instance's network as Networking reports it: ports (any order) and the subnets their addresses are on. */
export interface GuestNetwork {
  ports: MetadataPort[];
  subnets: MetadataSubnet[];
}

/** The instance's key pair as stored; null when it booted without one. */
export interface MetadataKeyPair { name: string; type: string; publicKey: string }

export interface MetadataInput {
  instance: Instance;
  network: GuestNetwork;
  keyPair: MetadataKeyPair | null;
  /** Device names of the volumes attached to it. */
  volumeDevices: string[];
  /** Appended to the hostname (Nova's dhcp_domain, `novalocal`); empty for none. */
  dhcpDomain: string;
  /** 512 random bytes for the guest's entropy pool; a fresh value per document served. */
  randomSeed: Buffer;
  /** The guest's address as the metadata proxy saw it: EC2's local-ipv4 when the instance has no fixed IPv4. */
  remoteAddress?: string;
}

export interface MetaDataJson {
  uuid: string;
  meta?: Record<string, string>;
  public_keys?: Record<string, string>;
  keys?: { name: string; type: string; data: string }[];
  hostname: string;
  name: string;
  launch_index: number;
  availability_zone: string;
  random_seed: string;
  project_id: string;
  devices: unknown[];
  dedicated_cpus: number[];
}

export interface MetadataDocuments {
  /** meta_data.json */
  metaData: MetaDataJson;
  /** network_data.json */
  networkData: NetworkData;
  /** vendor_data.json and vendor_data2.json: this cloud adds nothing of its own. */
  vendorData: Record<string, unknown>;
  vendorData2: Record<string, unknown>;
  /** The user data as the user gave it (decoded from the API's base64); null when none. */
  userData: Buffer | null;
  /** The EC2 `meta-data` directory. */
  ec2MetaData: Ec2Dir;
}

/** The guest's ports in the order Compute plugged them (eth0 first), ports it does not know of last. */
function inNicOrder(instance: Instance, ports: MetadataPort[]): MetadataPort[] {
  const order = new Map(instance.networkInfo.map((p, i) => [p.portId, i]));
  return [...ports].sort((a, b) => (order.get(a.portId) ?? Infinity) - (order.get(b.portId) ?? Infinity));
}

/** Builds every document for one instance. Pure: the caller brings the data and the random seed. */
export function buildInstanceMetadata(input: MetadataInput): MetadataDocuments {
  const { instance, keyPair } = input;
  const hostname = input.dhcpDomain ? `${instance.hostname}.${input.dhcpDomain}` : instance.hostname;
  const availabilityZone = instance.availabilityZone ?? DEFAULT_ZONE;
  const ports = inNicOrder(instance, input.network.ports);
  const v4 = new Set(input.network.subnets.filter((s) => s.ipVersion === 4).map((s) => s.id));
  const fixedIpv4 = ports.flatMap((p) => p.fixedIps).find((f) => v4.has(f.subnetId))?.address ?? input.remoteAddress ?? '';
  const floatingIpv4 = ports.flatMap((p) => p.floatingIps).find((a) => !a.includes(':')) ?? '';

  const metaData: MetaDataJson = {
    uuid: instance.uuid,
    ...(Object.keys(instance.metadata).length ? { meta: { ...instance.metadata } } : {}),
    ...(instance.keyName && instance.keyData ? {
      public_keys: { [instance.keyName]: instance.keyData },
      // The key pair may have been deleted since the boot: the instance keeps its copy of the key.
      keys: [{ name: instance.keyName, type: keyPair?.type ?? 'ssh', data: keyPair?.publicKey ?? instance.keyData }],
    } : {}),
    hostname,
    name: instance.name,
    launch_index: instance.launchIndex,
    availability_zone: availabilityZone,
    random_seed: input.randomSeed.toString('base64'),
    project_id: instance.projectId,
    // No device tags and no CPU pinning here, so both lists are empty, as Nova shows them then.
    devices: [],
    dedicated_cpus: [],
  };
  return {
    metaData,
    networkData: buildNetworkData(ports, input.network.subnets),
    vendorData: {},
    vendorData2: {},
    userData: instance.userData === null ? null : Buffer.from(instance.userData, 'base64'),
    ec2MetaData: buildEc2MetaData({ instance, hostname, availabilityZone, fixedIpv4, floatingIpv4, volumeDevices: input.volumeDevices }),
  };
}

/** The files of an OpenStack document directory (`openstack/<version>/…`) by name. */
export function openstackFiles(docs: MetadataDocuments): Record<string, string | Buffer> {
  return {
    'meta_data.json': JSON.stringify(docs.metaData),
    'network_data.json': JSON.stringify(docs.networkData),
    'vendor_data.json': JSON.stringify(docs.vendorData),
    'vendor_data2.json': JSON.stringify(docs.vendorData2),
    ...(docs.userData ? { user_data: docs.userData } : {}),
  };
}

// EC2 versions older than this are left off config drives, as Nova does (config_drive_skip_versions).
const CONFIG_DRIVE_EC2_VERSIONS = [EC2_VERSIONS[EC2_VERSIONS.length - 1], 'latest'];

/**
 * A config drive's files (the `config-2` layout): `openstack/<version>/…` for every OpenStack version and latest, and
 * `ec2/<version>/meta-data.json` (+ `user-data`) for the newest EC2 version and latest. Compatible with
 * ConfigDriveFiles of the hypervisor driver contract.
 */
export function configDriveFiles(docs: MetadataDocuments): Record<string, string | Buffer> {
  const files: Record<string, string | Buffer> = {};
  const openstack = openstackFiles(docs);
  for (const version of [...OPENSTACK_VERSIONS, 'latest']) {
    for (const [name, content] of Object.entries(openstack)) files[`openstack/${version}/${name}`] = content;
  }
  const ec2 = JSON.stringify(docs.ec2MetaData);
  for (const version of CONFIG_DRIVE_EC2_VERSIONS) {
    files[`ec2/${version}/meta-data.json`] = ec2;
    if (docs.userData) files[`ec2/${version}/user-data`] = docs.userData;
  }
  return files;
}
