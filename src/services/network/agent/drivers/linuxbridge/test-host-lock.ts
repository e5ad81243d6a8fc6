// Test fixture: one host-wide lock for tests that run a linuxbridge agent on the real host. An agent's resync removes
// every Stratus device nothing it knows claims, so two such test files running at once would prune each other's.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK = join(tmpdir(), 'stratus-host-data-plane.lock');

function ownerAlive(): boolean {
  try {
    const pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // No pid file yet (being written) counts as alive; a vanished process does not.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a dead holder's lock under a second lock, re-checking the holder there: two waiters that both saw the dead
 * holder must not both remove a lock (the second would remove the one the first has just taken). A steal lock left
 * by a waiter that died mid-steal is dropped after 10 s.
 */
function takeOverDeadOwner(): boolean {
  const steal = `${LOCK}.steal`;
  try {
    mkdirSync(steal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try { if (Date.now() - statSync(steal).mtimeMs > 10_000) rmSync(steal, { recursive: true, force: true }); } catch { /* gone meanwhile */ }
    return false;
  }
  try {
    if (ownerAlive()) return false;
    rmSync(LOCK, { recursive: true, force: true });
    return true;
  } finally {
    rmSync(steal, { recursive: true, force: true });
  }
}

/** Waits until this process holds the lock (taking over one whose holder died); resolves to its release. */
export async function lockHostDataPlane(timeoutMs = 240_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!ownerAlive() && takeOverDeadOwner()) continue;
      if (Date.now() > deadline) throw new Error(`another test holds ${LOCK} for too long`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
