// Shelving's rules without I/O: the system metadata keys Nova records on a shelved server, and when a shelved server
// is due to be offloaded (Nova's shelved_offload_time: 0 at once, -1 never, N seconds after it was shelved).
import { VmState } from './vm-states.ts';

export const SHELVED_AT = 'shelved_at';
export const SHELVED_IMAGE_ID = 'shelved_image_id';
export const SHELVED_HOST = 'shelved_host';
export const SHELVE_KEYS = [SHELVED_AT, SHELVED_IMAGE_ID, SHELVED_HOST];

/** The vm_states a server may be shelved from (Nova's check_instance_state of shelve). */
export const SHELVABLE: string[] = [VmState.active, VmState.stopped, VmState.paused, VmState.suspended];

export interface ShelveRecord {
  shelvedAt: string | null;
  /** The snapshot of the root disk; null for a server booted from a volume (nothing to snapshot). */
  imageId: string | null;
  host: string | null;
}

export function shelveRecordOf(systemMetadata: Record<string, string>): ShelveRecord {
  return {
    shelvedAt: systemMetadata[SHELVED_AT] ?? null,
    imageId: systemMetadata[SHELVED_IMAGE_ID] || null,
    host: systemMetadata[SHELVED_HOST] ?? null,
  };
}

/** The system metadata a shelve records. */
export function shelveMetadata(at: Date, imageId: string | null, host: string): Record<string, string> {
  return { [SHELVED_AT]: at.toISOString(), [SHELVED_HOST]: host, ...(imageId ? { [SHELVED_IMAGE_ID]: imageId } : {}) };
}

/** Whether a server shelved at `shelvedAt` is due to be offloaded at `now` with shelved_offload_time `offloadTimeS`. */
export function offloadDue(shelvedAt: string | null, offloadTimeS: number, now: Date): boolean {
  if (offloadTimeS < 0) return false;
  if (offloadTimeS === 0) return true;
  const at = shelvedAt ? Date.parse(shelvedAt) : NaN;
  // A shelved server without a readable shelved_at (recorded by an older version, or edited) is offloaded: it waited.
  return Number.isNaN(at) || now.getTime() - at >= offloadTimeS * 1000;
}
