// ComputeFilter: only hosts whose agent is enabled and has reported within service_down_time.
import type { HostFilter } from '../host-state.ts';
import { heartbeatFresh } from '../../domain/service-status.ts';

export const computeFilter: HostFilter = {
  name: 'ComputeFilter',
  passes: (h, req) => !h.serviceDisabled && heartbeatFresh(h.lastSeenUp, req.now, req.serviceDownTimeMs),
};
