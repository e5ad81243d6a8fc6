// The standard resource classes and traits are rows like custom ones (so foreign keys cover both): added at start-up
// when missing, so a newer build's new standard names appear without a migration.
import { isUniqueViolation } from '#lib/db/index.ts';
import { STANDARD_RESOURCE_CLASSES } from '../domain/resource-classes.ts';
import { STANDARD_TRAITS } from '../domain/standard-traits.ts';
import type { PlacementStore } from './tables.ts';
import { nowIso } from './transactions.ts';

/** Idempotent and safe when several processes start at once: a name another process inserted first is skipped. */
export async function ensureStandardRows(store: PlacementStore): Promise<void> {
  for (const table of ['resource_classes', 'traits'] as const) {
    const names = table === 'traits' ? STANDARD_TRAITS : STANDARD_RESOURCE_CLASSES;
    for (let attempt = 0; ; attempt++) {
      const have = new Set((await store.db.selectFrom(table).select('name').execute()).map((r) => r.name));
      const missing = names.filter((n) => !have.has(n));
      if (missing.length === 0) break;
      try {
        const createdAt = nowIso();
        for (let i = 0; i < missing.length; i += 200) {
          await store.db.insertInto(table).values(missing.slice(i, i + 200).map((name) => ({ name, standard: true, created_at: createdAt }))).execute();
        }
        break;
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 3) throw err;
      }
    }
  }
}
