// A migration (Nova's os-migrations record) as the domain sees it: one per resize, with the flavors on both sides.
import type { FlavorSnapshot } from './instance.ts';

export interface Migration {
  id: number;
  uuid: string;
  instanceUuid: string;
  projectId: string;
  userId: string;
  migrationType: string;
  status: string;
  sourceCompute: string | null;
  sourceNode: string | null;
  destCompute: string | null;
  destNode: string | null;
  oldFlavor: FlavorSnapshot;
  newFlavor: FlavorSnapshot;
  createdAt: string;
  updatedAt: string;
}

export type MigrationPatch = Partial<Pick<Migration, 'status' | 'destCompute' | 'destNode'>>;
