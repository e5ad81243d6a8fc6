// The Block Storage API's route table: every resource registers its routes here, in one place.
import type { FastifyInstance } from 'fastify';
import type { BlockStorageApiDeps } from './deps.ts';
import { registerVersions } from './versions.ts';
import { registerVolumes } from './volumes.ts';
import { registerVolumeActions } from './volume-actions.ts';
import { registerMetadata } from './metadata.ts';
import { registerSnapshots } from './snapshots.ts';
import { registerVolumeTypes } from './volume-types.ts';
import { registerQuotas } from './quotas.ts';
import { registerServices } from './services.ts';
import { registerAttachments } from './attachments.ts';
import { registerTransfers } from './transfers.ts';
import { registerBackups } from './backups.ts';
import { registerQosSpecs } from './qos-specs.ts';

/**
 * Every resource is served under /v3/{project_id} (Cinder's URLs) and under /v3 alone, where the token names the
 * project: the catalog lists the project-less form, since Identity does not fill in a %(project_id)s template.
 */
export function registerBlockStorageRoutes(app: FastifyInstance, deps: BlockStorageApiDeps): void {
  registerVersions(app);
  for (const prefix of ['/v3/:project_id', '/v3']) {
    void app.register(async (scope) => {
      registerVolumes(scope, deps);
      registerVolumeActions(scope, deps);
      registerMetadata(scope, deps);
      registerSnapshots(scope, deps);
      registerVolumeTypes(scope, deps);
      registerQuotas(scope, deps);
      registerServices(scope, deps);
      registerAttachments(scope, deps);
      registerTransfers(scope, deps);
      registerBackups(scope, deps);
      registerQosSpecs(scope, deps);
    }, { prefix });
  }
}
