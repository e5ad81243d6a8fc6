// Spreads servers: more free RAM weighs more (Nova's RAMWeigher with a positive multiplier).
import type { HostWeigher } from '../host-state.ts';
import { free } from '../host-state.ts';

export const ramWeigher = (multiplier = 1): HostWeigher => ({ name: 'RAMWeigher', multiplier, weigh: (h) => free(h, 'MEMORY_MB') });
