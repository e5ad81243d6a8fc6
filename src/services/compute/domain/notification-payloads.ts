// Nova's notification payloads built from an instance, in one place so every flow announces the same fields: the
// versioned payload objects (InstanceActionPayload, InstanceUpdatePayload, …) and the legacy unversioned dict.
import type { Instance } from './instance.ts';
import { fingerprintOf } from './ssh-keys.ts';

/** A versioned payload object as Nova serializes it (nova_object.* keys), namespace nova. */
export interface VersionedObject {
  'nova_object.name': string;
  'nova_object.namespace': 'nova';
  'nova_object.version': string;
  'nova_object.data': Record<string, unknown>;
}

// The payload versions of Nova's Zed release, which these payloads follow field for field (minus what Stratus lacks).
export const PAYLOAD_VERSIONS = {
  InstanceActionPayload: '1.8', InstanceCreatePayload: '1.12', InstanceUpdatePayload: '2.0', FlavorPayload: '1.4',
  IpPayload: '1.0', ExceptionPayload: '1.1', InstanceStateUpdatePayload: '1.0', KeypairPayload: '1.0',
} as const;
export type PayloadName = keyof typeof PAYLOAD_VERSIONS;

export function versioned(name: PayloadName, data: Record<string, unknown>): VersionedObject {
  return { 'nova_object.name': name, 'nova_object.namespace': 'nova', 'nova_object.version': PAYLOAD_VERSIONS[name], 'nova_object.data': data };
}

// Nova's power_state names for the libvirt numbers (nova.compute.power_state.STATE_MAP).
const POWER_STATE_NAMES: Record<number, string> = { 0: 'pending', 1: 'running', 3: 'paused', 4: 'shutdown', 6: 'crashed', 7: 'suspended' };
export const powerStateName = (n: number): string => POWER_STATE_NAMES[n] ?? 'pending';

function flavorPayload(i: Instance): VersionedObject {
  const f = i.flavor;
  return versioned('FlavorPayload', {
    flavorid: f.id, name: f.name, memory_mb: f.ram, vcpus: f.vcpus, root_gb: f.disk, ephemeral_gb: f.ephemeral, swap: f.swap,
    rxtx_factor: f.rxtxFactor, vcpu_weight: 0, disabled: f.disabled, is_public: f.isPublic, extra_specs: f.extraSpecs, projects: null,
    description: f.description,
  });
}

function ipPayloads(i: Instance): VersionedObject[] {
  return i.networkInfo.flatMap((port) => port.ips.filter((ip) => ip.type === 'fixed').map((ip) => versioned('IpPayload', {
    label: port.networkName, mac: port.macAddress, meta: {}, port_uuid: port.portId, version: ip.version, address: ip.address, device_name: null,
  })));
}

/** The fault of an error notification (Nova's ExceptionPayload), from what the flow caught. */
export function exceptionPayload(err: { name?: string; message: string }, functionName: string): VersionedObject {
  return versioned('ExceptionPayload', {
    module_name: 'stratus.compute', function_name: functionName, exception: err.name ?? 'Error', exception_message: err.message, traceback: '',
  });
}

/** InstancePayload's fields (the base of every instance payload), from the instance record. */
export function instancePayloadData(i: Instance, ctx: { requestId?: string; userId?: string; projectId?: string }): Record<string, unknown> {
  return {
    uuid: i.uuid, user_id: i.userId, tenant_id: i.projectId, reservation_id: i.reservationId, display_name: i.name,
    display_description: i.description, host_name: i.hostname, host: i.host, node: i.node, os_type: null, architecture: null,
    availability_zone: i.availabilityZone, flavor: flavorPayload(i), image_uuid: i.imageRef, key_name: i.keyName, kernel_id: '', ramdisk_id: '',
    created_at: i.createdAt, launched_at: i.launchedAt, terminated_at: i.terminatedAt, deleted_at: i.deletedAt, updated_at: i.updatedAt,
    state: i.vmState, power_state: powerStateName(i.powerState), task_state: i.taskState, progress: 0, ip_addresses: ipPayloads(i),
    block_devices: [], metadata: i.metadata, locked: i.locked, auto_disk_config: 'MANUAL', request_id: ctx.requestId ?? null,
    action_initiator_user: ctx.userId ?? null, action_initiator_project: ctx.projectId ?? null, locked_reason: null,
  };
}

/** The legacy (unversioned) compute.instance.* payload: Nova's info_from_instance, reduced to what Stratus records. */
export function legacyPayload(i: Instance): Record<string, unknown> {
  const f = i.flavor;
  return {
    tenant_id: i.projectId, user_id: i.userId, instance_id: i.uuid, display_name: i.name, reservation_id: i.reservationId, hostname: i.hostname,
    instance_type: f.name, instance_flavor_id: f.id, memory_mb: f.ram, disk_gb: f.disk + f.ephemeral, vcpus: f.vcpus, root_gb: f.disk,
    ephemeral_gb: f.ephemeral, host: i.host, node: i.node, availability_zone: i.availabilityZone, image_ref_url: i.imageRef,
    created_at: i.createdAt, launched_at: i.launchedAt ?? '', terminated_at: i.terminatedAt ?? '', deleted_at: i.deletedAt ?? '',
    state: i.vmState, state_description: i.taskState ?? '', power_state: i.powerState, progress: '', metadata: i.metadata,
    fixed_ips: i.networkInfo.flatMap((p) => p.ips.filter((ip) => ip.type === 'fixed')
      .map((ip) => ({ label: p.networkName, address: ip.address, version: ip.version, vif_mac: p.macAddress, type: 'fixed' }))),
  };
}

/** What InstanceCreatePayload adds: the key pair the server was booted with (tags are not read here: a known gap). */
export function instanceCreateData(i: Instance): Record<string, unknown> {
  const keypairs = i.keyName && i.keyData ? [keypairPayload(i.keyName, i.keyData, i.userId)] : [];
  return { keypairs, tags: [], trusted_image_certificates: null, instance_name: `instance-${i.uuid}` };
}

function keypairPayload(name: string, publicKey: string, userId: string): VersionedObject {
  let fingerprint: string | null = null;
  try { fingerprint = fingerprintOf(publicKey); } catch { /* an x509 certificate has no SSH fingerprint */ }
  return versioned('KeypairPayload', { user_id: userId, name, public_key: publicKey, fingerprint, type: fingerprint ? 'ssh' : 'x509' });
}
