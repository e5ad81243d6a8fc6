// Nova's ServerGroupAntiAffinityFilter and ServerGroupAffinityFilter: a member of an anti-affinity group never lands
// beside another member (or beside max_server_per_host of them, 2.64 rules); a member of an affinity group lands where the others are (anywhere, for the first).
import type { HostFilter } from '../host-state.ts';

export const serverGroupAntiAffinityFilter: HostFilter = {
  name: 'ServerGroupAntiAffinityFilter',
  passes: (h, req) => req.group?.policy !== 'anti-affinity' || req.group.memberHosts.filter((m) => m === h.host).length < (req.group.maxServerPerHost ?? 1),
};

export const serverGroupAffinityFilter: HostFilter = {
  name: 'ServerGroupAffinityFilter',
  passes: (h, req) => req.group?.policy !== 'affinity' || req.group.memberHosts.length === 0 || req.group.memberHosts.includes(h.host),
};
