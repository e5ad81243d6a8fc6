// AvailabilityZoneFilter: a server asked into a zone only lands on hosts of that zone.
import type { HostFilter } from '../host-state.ts';

export const availabilityZoneFilter: HostFilter = {
  name: 'AvailabilityZoneFilter',
  passes: (h, req) => req.availabilityZone === null || h.zone === req.availabilityZone,
};
