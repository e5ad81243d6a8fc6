// ComputeFilter: only hosts whose agent is enabled and has reported within service_down_time.
import type { HostFilter } from '../host-state.ts';

export const computeFilter: HostFilter = {
  name: 'ComputeFilter',
  passes: (h, req) => !h.serviceDisabled && h.lastSeenUp !== null && req.now - Date.parse(h.lastSeenUp) <= req.serviceDownTimeMs,
};
