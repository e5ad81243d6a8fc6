// Reports this agent's node: its resource provider and inventory in Placement, and its heartbeat and capacity to the
// conductor (which the scheduler and the hypervisors API read). The node's uuid is derived from host and node name,
// so a restarted agent finds its provider again.
import { createHash } from 'node:crypto';
import type { BusContext } from '#lib/bus/index.ts';
import type { AgentDeps } from './agent-deps.ts';

export interface AllocationRatios {
  cpu: number;
  ram: number;
  disk: number;
  reservedHostMemoryMb: number;
}

export function nodeUuid(host: string, node: string): string {
  const h = createHash('sha1').update(`stratus-compute-node:${host}:${node}`).digest('hex');
  // Shaped as a version-5 (name-based) UUID.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Makes Placement's provider and inventory match the driver's capacity, then reports to the conductor. */
export async function reportNode(deps: AgentDeps, ctx: BusContext, ratios: AllocationRatios): Promise<{ uuid: string; disabled: boolean }> {
  const cap = await deps.driver.capacity();
  const uuid = nodeUuid(deps.host, cap.nodeName);
  const pctx = { globalRequestId: ctx.globalRequestId };
  await deps.placement.ensureResourceProvider({ uuid, name: cap.nodeName }, pctx);
  await deps.placement.setInventory(uuid, {
    VCPU: { total: cap.vcpus, allocation_ratio: ratios.cpu, max_unit: cap.vcpus },
    MEMORY_MB: { total: cap.memoryMb, reserved: Math.min(ratios.reservedHostMemoryMb, cap.memoryMb), allocation_ratio: ratios.ram, max_unit: cap.memoryMb },
    ...(cap.localGb > 0 ? { DISK_GB: { total: cap.localGb, allocation_ratio: ratios.disk, max_unit: cap.localGb } } : {}),
  }, pctx);
  const { disabled } = await deps.conductor.call('service_report', {
    host: deps.host, nodeUuid: uuid, hypervisorHostname: cap.nodeName, hypervisorType: cap.hypervisorType,
    hypervisorVersion: cap.hypervisorVersion, vcpus: cap.vcpus, memoryMb: cap.memoryMb, localGb: cap.localGb, hostIp: cap.hostIp,
  }, ctx);
  return { uuid, disabled };
}
