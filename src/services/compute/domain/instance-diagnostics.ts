// What a hypervisor reports of one running guest for the diagnostics API, driver-neutral: the agent passes it from the
// driver to the API, which renders Nova's standard form (2.48+) or the older driver-specific dict from it.

/** The guest's power as the diagnostics API names it. */
export type DiagnosticsState = 'pending' | 'running' | 'paused' | 'shutdown' | 'crashed' | 'suspended';

export interface CpuDiagnostics {
  id: number;
  /** CPU time the vCPU used, in nanoseconds; null when the hypervisor cannot tell. */
  timeNs: number | null;
  /** Utilisation in percent; null when the hypervisor does not measure it. */
  utilisation: number | null;
}

/** Counters of one NIC as the guest sees them (rx: what the guest received). */
export interface NicDiagnostics {
  /** The host-side device name (a tap), which names the NIC in the older dict. */
  id: string;
  macAddress: string | null;
  rxOctets: number | null;
  rxErrors: number | null;
  rxDrop: number | null;
  rxPackets: number | null;
  rxRate: number | null;
  txOctets: number | null;
  txErrors: number | null;
  txDrop: number | null;
  txPackets: number | null;
  txRate: number | null;
}

export interface DiskDiagnostics {
  /** The hypervisor's name of the disk, which names it in the older dict. */
  id: string;
  readBytes: number | null;
  readRequests: number | null;
  writeBytes: number | null;
  writeRequests: number | null;
  errorsCount: number | null;
}

export interface InstanceDiagnostics {
  state: DiagnosticsState;
  /** The hypervisor under the driver (`kvm`, `qemu`, `fake`). */
  hypervisor: string | null;
  hypervisorOs: string | null;
  /** Seconds the guest has been running. */
  uptime: number | null;
  configDrive: boolean;
  cpus: CpuDiagnostics[];
  nics: NicDiagnostics[];
  disks: DiskDiagnostics[];
  /** Memory in KiB: what the flavor gives the guest, and what it uses now (null when unknown). */
  memory: { maximumKib: number | null; usedKib: number | null };
}
