// Skips hosts a build of this server already failed on (Nova's retry hosts), so a reschedule goes elsewhere.
import type { HostFilter } from '../host-state.ts';

export const retryFilter: HostFilter = {
  name: 'RetryFilter',
  passes: (h, req) => !req.ignoreHosts.includes(h.host),
};
