// Events are read by their action (finishing the open one, showing an action): without this index each lookup
// scanned every event of the cloud.
import type { Migration } from '#lib/db/index.ts';

export const eventIndex: Migration = {
  name: 'compute-015-instance-action-events-action-idx',
  async up(db) {
    await db.schema.createIndex('instance_action_events_action_idx').on('instance_action_events').columns(['action_id', 'event']).execute();
  },
};
