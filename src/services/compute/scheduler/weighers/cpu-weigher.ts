// Spreads servers by free vCPUs (Nova's CPUWeigher).
import type { HostWeigher } from '../host-state.ts';
import { free } from '../host-state.ts';

export const cpuWeigher = (multiplier = 1): HostWeigher => ({ name: 'CPUWeigher', multiplier, weigh: (h) => free(h, 'VCPU') });
