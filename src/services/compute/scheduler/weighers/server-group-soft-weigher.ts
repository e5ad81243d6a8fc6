// Nova's soft (anti-)affinity weighers: more members on a host weighs more for soft-affinity and less for
// soft-anti-affinity; other servers are not affected.
import type { HostWeigher } from '../host-state.ts';

const membersOn = (host: string, hosts: string[]): number => hosts.filter((h) => h === host).length;

export const serverGroupSoftWeigher = (multiplier = 1): HostWeigher => ({
  name: 'ServerGroupSoftAffinityWeigher',
  multiplier,
  weigh: (h, req) => {
    if (req.group?.policy === 'soft-affinity') return membersOn(h.host, req.group.memberHosts);
    if (req.group?.policy === 'soft-anti-affinity') return -membersOn(h.host, req.group.memberHosts);
    return 0;
  },
});
