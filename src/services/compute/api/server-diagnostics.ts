// GET /servers/{id}/diagnostics (admins by default): the running guest's counters, asked of its agent. From 2.48 in
// Nova's standard form; before it as the driver-specific dict Nova's libvirt driver gives (cpu0_time, vda_read…).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import type { InstanceDiagnostics } from '../domain/instance-diagnostics.ts';
import { instanceNotReady } from '../domain/remote-consoles.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import { loadServer } from './servers.ts';

/**
 * The `driver` field is an enum of Nova's virt drivers (ironic, libvirt, vmwareapi, xenapi): Stratus's drivers are of
 * the libvirt kind (QEMU/KVM guests; Nova's own fake driver says libvirt too), and `hypervisor` says which precisely.
 */
const DRIVER_FAMILY = 'libvirt';

const mib = (kib: number | null) => (kib === null ? null : Math.floor(kib / 1024));

/** Nova's standard diagnostics (2.48+): every field present, null where the hypervisor cannot tell. */
export function standardDiagnostics(d: InstanceDiagnostics): Record<string, unknown> {
  return {
    state: d.state, driver: DRIVER_FAMILY, hypervisor: d.hypervisor, hypervisor_os: d.hypervisorOs, uptime: d.uptime, config_drive: d.configDrive,
    num_cpus: d.cpus.length, num_nics: d.nics.length, num_disks: d.disks.length,
    cpu_details: d.cpus.map((c) => ({ id: c.id, time: c.timeNs, utilisation: c.utilisation })),
    nic_details: d.nics.map((n) => ({
      mac_address: n.macAddress, rx_octets: n.rxOctets, rx_errors: n.rxErrors, rx_drop: n.rxDrop, rx_packets: n.rxPackets, rx_rate: n.rxRate,
      tx_octets: n.txOctets, tx_errors: n.txErrors, tx_drop: n.txDrop, tx_packets: n.txPackets, tx_rate: n.txRate,
    })),
    disk_details: d.disks.map((k) => ({
      read_bytes: k.readBytes, read_requests: k.readRequests, write_bytes: k.writeBytes, write_requests: k.writeRequests, errors_count: k.errorsCount,
    })),
    memory_details: { maximum: mib(d.memory.maximumKib), used: mib(d.memory.usedKib) },
  };
}

/** The dict before 2.48, keyed as Nova's libvirt driver keys it (devices by the hypervisor's names, memory in KiB). */
export function legacyDiagnostics(d: InstanceDiagnostics): Record<string, number> {
  const out: Record<string, number | null> = {};
  for (const c of d.cpus) out[`cpu${c.id}_time`] = c.timeNs;
  for (const k of d.disks) {
    Object.assign(out, { [`${k.id}_read_req`]: k.readRequests, [`${k.id}_read`]: k.readBytes, [`${k.id}_write_req`]: k.writeRequests,
      [`${k.id}_write`]: k.writeBytes, [`${k.id}_errors`]: k.errorsCount });
  }
  for (const n of d.nics) {
    Object.assign(out, { [`${n.id}_rx`]: n.rxOctets, [`${n.id}_rx_packets`]: n.rxPackets, [`${n.id}_rx_errors`]: n.rxErrors, [`${n.id}_rx_drop`]: n.rxDrop,
      [`${n.id}_tx`]: n.txOctets, [`${n.id}_tx_packets`]: n.txPackets, [`${n.id}_tx_errors`]: n.txErrors, [`${n.id}_tx_drop`]: n.txDrop });
  }
  out.memory = d.memory.maximumKib;
  out['memory-rss'] = d.memory.usedKib;
  // What the hypervisor cannot tell is left out, as libvirt leaves out what it cannot read.
  return Object.fromEntries(Object.entries(out).filter((e): e is [string, number] => e[1] !== null));
}

async function diagnostics(deps: ComputeApiDeps, req: FastifyRequest) {
  const { server } = await loadServer(deps, req, 'os_compute_api:os-server-diagnostics');
  if (!server.host) throw instanceNotReady(server.uuid);
  const found = await deps.agents.call('get_diagnostics', { uuid: server.uuid }, toBusContext(req.ctx), { server: server.host, timeoutMs: 30_000 });
  return atLeast(req, 48) ? standardDiagnostics(found) : legacyDiagnostics(found);
}

export function registerServerDiagnostics(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.get('/v2.1/servers/:server_id/diagnostics', async (req) => diagnostics(deps, req));
}
