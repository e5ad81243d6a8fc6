// The Image API's route table: every resource registers its routes here, in one place.
import type { FastifyInstance } from 'fastify';
import type { ImageApiDeps } from './deps.ts';
import { registerVersions } from './versions.ts';
import { registerImages } from './images.ts';
import { registerImagePatch } from './image-patch.ts';
import { registerImageData } from './image-data.ts';
import { registerImageImport } from './image-import.ts';
import { registerMembers } from './members.ts';
import { registerSchemasAndInfo } from './schemas-info.ts';
import { registerStores } from './stores.ts';

export function registerImageRoutes(app: FastifyInstance, deps: ImageApiDeps): void {
  registerVersions(app, deps.store.stores.length > 1);
  registerImages(app, deps);
  registerImagePatch(app, deps);
  registerImageData(app, deps);
  registerImageImport(app, deps);
  registerMembers(app, deps);
  registerSchemasAndInfo(app, deps);
  registerStores(app, deps);
}
