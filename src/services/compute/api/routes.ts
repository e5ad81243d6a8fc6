// The Compute API's route table: every resource registers its routes here, in one place.
import type { FastifyInstance } from 'fastify';
import type { ComputeApiDeps } from './deps.ts';
import { registerVersions } from './versions.ts';
import { registerFlavors } from './flavors.ts';
import { registerFlavorExtraSpecs } from './flavor-extra-specs.ts';
import { registerFlavorAccess } from './flavor-access.ts';
import { registerServers } from './servers.ts';
import { registerServerActions } from './server-actions.ts';
import { registerServerDiagnostics } from './server-diagnostics.ts';
import { registerInstanceActions } from './instance-actions.ts';
import { registerQuotas } from './quotas.ts';
import { registerKeyPairs } from './keypairs.ts';
import { registerHosts } from './hosts.ts';
import { registerServerGroups } from './server-groups.ts';
import { registerServerMetadata } from './server-metadata.ts';
import { registerAvailabilityZones } from './availability-zones.ts';
import { registerUsage } from './usage.ts';
import { registerVolumeAttachments } from './volume-attachments.ts';
import { registerInterfaces } from './interfaces.ts';
import { registerAggregates } from './aggregates.ts';
import { registerMigrations } from './migrations.ts';
import { registerRemoteConsoles } from './remote-consoles.ts';

export function registerComputeRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  registerVersions(app);
  registerFlavors(app, deps);
  registerFlavorExtraSpecs(app, deps);
  registerFlavorAccess(app, deps);
  registerServers(app, deps);
  registerServerActions(app, deps);
  registerServerDiagnostics(app, deps);
  registerInstanceActions(app, deps);
  registerQuotas(app, deps);
  registerKeyPairs(app, deps);
  registerHosts(app, deps);
  registerServerGroups(app, deps);
  registerServerMetadata(app, deps);
  registerAvailabilityZones(app, deps);
  registerUsage(app, deps);
  registerVolumeAttachments(app, deps);
  registerInterfaces(app, deps);
  registerAggregates(app, deps);
  registerMigrations(app, deps);
  registerRemoteConsoles(app, deps);
}
