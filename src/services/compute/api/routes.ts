// The Compute API's route table: every resource registers its routes here, in one place.
import type { FastifyInstance } from 'fastify';
import type { ComputeApiDeps } from './deps.ts';
import { registerVersions } from './versions.ts';
import { registerFlavors } from './flavors.ts';
import { registerFlavorExtraSpecs } from './flavor-extra-specs.ts';
import { registerFlavorAccess } from './flavor-access.ts';

export function registerComputeRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  registerVersions(app);
  registerFlavors(app, deps);
  registerFlavorExtraSpecs(app, deps);
  registerFlavorAccess(app, deps);
}
