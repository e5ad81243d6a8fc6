// The conductor's shelve endpoints: unshelve's workflow, and the system metadata the agents record through it (they
// never touch the database themselves).
import type { RpcHandlers } from '#lib/bus/index.ts';
import { getSystemMetadata, updateSystemMetadata } from '../db/system-metadata-repo.ts';
import type { ConductorMethods } from '../rpc/conductor-rpc.ts';
import type { ConductorDeps } from './conductor-deps.ts';
import { unshelveInstance } from './unshelve.ts';

type ShelveMethods = 'unshelve_instance' | 'system_metadata_get' | 'system_metadata_update';

/** `background` runs a cast's work after the cast is acknowledged (the conductor's own runner). */
export function shelveHandlers(deps: ConductorDeps, background: (work: Promise<void>) => void): Pick<RpcHandlers<ConductorMethods>, ShelveMethods> {
  return {
    unshelve_instance: (ctx, a) => { background(unshelveInstance(deps, ctx, a.uuid)); },
    system_metadata_get: (_ctx, a) => getSystemMetadata(deps.db, a.uuid),
    system_metadata_update: async (_ctx, a) => { await updateSystemMetadata(deps.db, a.uuid, { set: a.set, remove: a.remove }); },
  };
}
