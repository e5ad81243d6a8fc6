// Server records → Nova's JSON per microversion: the summary of a list, the full detail of show and list/detail.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Instance } from '../domain/instance.ts';
import { statusOf } from '../domain/vm-states.ts';
import { atLeast } from './microversion.ts';

const origin = (req: FastifyRequest): string => `${req.protocol}://${req.headers.host ?? req.host}`;

export function serverLinks(req: FastifyRequest, id: string) {
  return [
    { rel: 'self', href: `${origin(req)}/v2.1/servers/${id}` },
    { rel: 'bookmark', href: `${origin(req)}/servers/${id}` },
  ];
}

export function serverSummary(req: FastifyRequest, i: Instance): Record<string, unknown> {
  return { id: i.uuid, name: i.name, links: serverLinks(req, i.uuid) };
}

/** Nova's hostId: a per-project hash of the host, so users can tell co-located servers apart without seeing hosts. */
export function hostIdOf(i: Instance): string {
  return i.host ? createHash('sha224').update(i.projectId + i.host).digest('hex') : '';
}

export function addressesOf(i: Instance): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const port of i.networkInfo) {
    const list = (out[port.networkName] ??= []);
    for (const ip of port.ips) list.push({ version: ip.version, addr: ip.address, 'OS-EXT-IPS:type': ip.type, 'OS-EXT-IPS-MAC:mac_addr': port.macAddress });
  }
  return out;
}

export interface ViewOptions {
  /** The caller may see OS-EXT-SRV-ATTR (host, hypervisor, instance name). */
  showHostAttributes: boolean;
  /** The ids of the volumes attached to the server. */
  volumes: string[];
  /** Those of them deleted with the server (shown from 2.3). */
  deleteOnTermination?: Set<string>;
  /** The server's tags (shown from 2.26). */
  tags?: string[];
  /** Why it was locked (shown from 2.73). */
  lockedReason?: string | null;
  /** The server groups it belongs to: shown from 2.71 by show, update and rebuild only (not lists), as in Nova. */
  serverGroups?: string[];
}

export function serverDetail(req: FastifyRequest, i: Instance, opts: ViewOptions): Record<string, unknown> {
  const status = statusOf(i.vmState, i.taskState);
  const f = i.flavor;
  const flavor = atLeast(req, 47)
    ? { vcpus: f.vcpus, ram: f.ram, disk: f.disk, ephemeral: f.ephemeral, swap: f.swap, original_name: f.name, extra_specs: f.extraSpecs }
    : { id: f.id, links: [{ rel: 'bookmark', href: `${origin(req)}/flavors/${f.id}` }] };
  const body: Record<string, unknown> = {
    id: i.uuid, name: i.name, status, tenant_id: i.projectId, user_id: i.userId, metadata: i.metadata, hostId: hostIdOf(i),
    image: i.imageRef ? { id: i.imageRef, links: [{ rel: 'bookmark', href: `${origin(req)}/images/${i.imageRef}` }] } : '',
    flavor, created: i.createdAt.replace(/\.\d+Z$/, 'Z'), updated: i.updatedAt.replace(/\.\d+Z$/, 'Z'),
    addresses: addressesOf(i), accessIPv4: i.accessIpV4 ?? '', accessIPv6: i.accessIpV6 ?? '', links: serverLinks(req, i.uuid),
    'OS-DCF:diskConfig': 'MANUAL', 'OS-EXT-AZ:availability_zone': i.availabilityZone ?? 'nova', config_drive: i.configDrive ? 'True' : '',
    key_name: i.keyName, 'OS-SRV-USG:launched_at': i.launchedAt?.replace(/Z$/, '') ?? null,
    'OS-SRV-USG:terminated_at': i.terminatedAt?.replace(/Z$/, '') ?? null,
    'OS-EXT-STS:task_state': i.taskState, 'OS-EXT-STS:vm_state': i.vmState, 'OS-EXT-STS:power_state': i.powerState,
    'os-extended-volumes:volumes_attached': opts.volumes.map((id) => ({ id, ...(atLeast(req, 3) ? { delete_on_termination: opts.deleteOnTermination?.has(id) ?? false } : {}) })),
    security_groups: i.securityGroups.map((name) => ({ name })),
  };
  if (['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING'].includes(status)) body.progress = status === 'ACTIVE' ? 100 : 0;
  if (i.fault && (status === 'ERROR' || status === 'DELETED')) {
    body.fault = { code: i.fault.code, message: i.fault.message, created: i.fault.created.replace(/\.\d+Z$/, 'Z'), ...(opts.showHostAttributes && i.fault.details ? { details: i.fault.details } : {}) };
  }
  if (opts.showHostAttributes) {
    Object.assign(body, {
      'OS-EXT-SRV-ATTR:host': i.host, 'OS-EXT-SRV-ATTR:hypervisor_hostname': i.node,
      'OS-EXT-SRV-ATTR:instance_name': `instance-${i.uuid.slice(0, 8)}`,
    });
    if (atLeast(req, 3)) {
      Object.assign(body, {
        'OS-EXT-SRV-ATTR:hostname': i.hostname, 'OS-EXT-SRV-ATTR:reservation_id': i.reservationId,
        'OS-EXT-SRV-ATTR:launch_index': i.launchIndex, 'OS-EXT-SRV-ATTR:kernel_id': '', 'OS-EXT-SRV-ATTR:ramdisk_id': '',
        'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda', 'OS-EXT-SRV-ATTR:user_data': i.userData,
      });
    }
  }
  // 2.90: everyone sees the hostname (it can be set since then).
  if (atLeast(req, 90)) body['OS-EXT-SRV-ATTR:hostname'] = i.hostname;
  if (atLeast(req, 9)) body.locked = i.locked;
  if (atLeast(req, 19)) body.description = i.description;
  if (atLeast(req, 26)) body.tags = opts.tags ?? [];
  // Certificates are refused at create and rebuild (no signature validation here), so there are never any.
  if (atLeast(req, 63)) body.trusted_image_certificates = null;
  if (atLeast(req, 71) && opts.serverGroups) body.server_groups = opts.serverGroups;
  if (atLeast(req, 73)) body.locked_reason = i.locked ? (opts.lockedReason ?? null) : null;
  return body;
}
