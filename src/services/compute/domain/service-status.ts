// Nova's servicegroup rule: a service is up while its last heartbeat is younger than service_down_time.

export function heartbeatFresh(lastSeenUp: string | null, now: number, downTimeMs: number): boolean {
  return lastSeenUp !== null && now - Date.parse(lastSeenUp) <= downTimeMs;
}

/** Up: not forced down by an operator, and heartbeating. */
export function serviceIsUp(s: { forced_down: boolean | number; last_seen_up: string | null }, now: number, downTimeMs: number): boolean {
  return !s.forced_down && heartbeatFresh(s.last_seen_up, now, downTimeMs);
}
