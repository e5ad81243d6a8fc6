// Cinder's notifications (volume.create.end, volume.delete.end, volume.resize.end, snapshot.*.end, backup.*.end),
// published once the conductor has recorded an outcome, for telemetry and other listeners. A bus failure is logged,
// never allowed to undo what was recorded.
import type { Bus, BusContext } from '#lib/bus/index.ts';
import type { Logger } from '#lib/log.ts';
import type { Snapshot, Volume } from '../domain/models.ts';

export interface Notifier {
  volume(ctx: BusContext, event: 'create.end' | 'delete.end' | 'resize.end' | 'retype', v: Volume): void;
  snapshot(ctx: BusContext, event: 'create.end' | 'delete.end', s: Snapshot): void;
  backup(ctx: BusContext, event: 'create.end' | 'delete.end' | 'restore.end', b: { id: string; volumeId: string; projectId: string; size: number }): void;
}

export function createNotifier(bus: Bus, opts: { host: string; log: Logger }): Notifier {
  const publish = (ctx: BusContext, eventType: string, payload: Record<string, unknown>) => {
    bus.notify({ eventType, publisherId: `volume.${opts.host}`, priority: 'INFO', payload, context: ctx })
      .catch((err: Error) => opts.log.warn({ err: err.message, eventType }, 'cannot publish a block storage notification'));
  };
  return {
    volume(ctx, event, v) {
      publish(ctx, `volume.${event}`, {
        volume_id: v.id, tenant_id: v.projectId, user_id: v.userId, size: v.size, status: v.status, display_name: v.name,
        availability_zone: v.availabilityZone, volume_type: v.volumeTypeId, host: v.host, created_at: v.createdAt, launched_at: v.launchedAt,
      });
    },
    snapshot(ctx, event, s) {
      publish(ctx, `snapshot.${event}`, {
        snapshot_id: s.id, volume_id: s.volumeId, tenant_id: s.projectId, user_id: s.userId, volume_size: s.size, status: s.status,
        display_name: s.name, created_at: s.createdAt,
      });
    },
    backup(ctx, event, b) {
      publish(ctx, `backup.${event}`, { backup_id: b.id, volume_id: b.volumeId, tenant_id: b.projectId, size: b.size });
    },
  };
}
