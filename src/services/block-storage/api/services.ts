// Availability zones and the services list (os-services): who runs where, and whether its heartbeat is recent.
import type { FastifyInstance } from 'fastify';
import { NotFound } from '#lib/errors.ts';
import { listServices, setServiceDisabled } from '../db/services-repo.ts';
import type { ServiceRow } from '../db/tables.ts';
import { authorize, callerOf } from './deps.ts';
import type { BlockStorageApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import type { FastifyRequest } from 'fastify';

const isUp = (deps: BlockStorageApiDeps, s: ServiceRow) => Date.now() - Date.parse(s.updated_at) < deps.settings.serviceDownTimeS * 1000;

function serviceView(deps: BlockStorageApiDeps, req: FastifyRequest, s: ServiceRow): Record<string, unknown> {
  const view: Record<string, unknown> = {
    binary: s.binary, host: s.host, zone: s.availability_zone, status: s.disabled ? 'disabled' : 'enabled', state: isUp(deps, s) ? 'up' : 'down',
    updated_at: s.updated_at.replace(/Z$/, ''), disabled_reason: s.disabled_reason,
  };
  if (atLeast(req, 7)) view.cluster = null;
  if (s.binary === 'cinder-volume') Object.assign(view, { replication_status: 'disabled', active_backend_id: null, frozen: false });
  if (s.binary === 'cinder-volume' && atLeast(req, 49)) view.backend_state = isUp(deps, s) ? 'up' : 'down';
  return view;
}

const serviceBody = {
  type: 'object', required: ['host', 'binary'], additionalProperties: false,
  properties: { host: { type: 'string', maxLength: 255 }, binary: { type: 'string', maxLength: 255 }, disabled_reason: { type: 'string', maxLength: 255 } },
} as const;

export function registerServices(app: FastifyInstance, deps: BlockStorageApiDeps): void {
  app.get('/os-availability-zone', async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'volume_extension:availability_zone_list', caller.projectId);
    const zones = new Map<string, boolean>([[deps.settings.defaultZone, false]]);
    for (const s of await listServices(deps.db, { binary: 'cinder-volume' })) {
      zones.set(s.availability_zone, (zones.get(s.availability_zone) ?? false) || (isUp(deps, s) && !s.disabled));
    }
    return { availabilityZoneInfo: [...zones].map(([zoneName, available]) => ({ zoneName, zoneState: { available } })) };
  });

  app.get('/os-services', async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'volume_extension:services:index', caller.projectId);
    const q = req.query as { binary?: string; host?: string };
    return { services: (await listServices(deps.db, q)).map((s) => serviceView(deps, req, s)) };
  });

  app.put('/os-services/:verb', { schema: { body: serviceBody } }, async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'volume_extension:services:update', caller.projectId);
    const verb = (req.params as { verb: string }).verb;
    if (!['enable', 'disable', 'disable-log-reason'].includes(verb)) throw new NotFound('The resource could not be found.');
    const b = req.body as { host: string; binary: string; disabled_reason?: string };
    const disabled = verb !== 'enable';
    if (!await setServiceDisabled(deps.db, b.binary, b.host, disabled, disabled ? b.disabled_reason ?? null : null)) {
      throw new NotFound(`Service ${b.binary} on host ${b.host} could not be found.`);
    }
    return { host: b.host, binary: b.binary, status: disabled ? 'disabled' : 'enabled', disabled, ...(b.disabled_reason ? { disabled_reason: b.disabled_reason } : {}) };
  });
}
