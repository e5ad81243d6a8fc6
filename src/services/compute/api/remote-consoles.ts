// Remote consoles: POST /servers/{id}/remote-consoles (2.6+) and the older server actions os-getVNCConsole,
// os-getSerialConsole, os-getSPICEConsole and os-getRDPConsole (2.1–2.5). Each asks the server's agent where the
// console's socket is, records a one-time token for the proxy and answers with the URL that carries it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { BadRequest, NotFound } from '#lib/errors.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import { instanceInvalidState } from '../domain/errors.ts';
import { SERVED_CONSOLES, consoleAccessUrl, consoleTypeUnavailable, hashConsoleToken, instanceNotReady, newConsoleToken, servedConsoleType } from '../domain/remote-consoles.ts';
import { insertConsoleAuthToken, purgeExpiredConsoleAuthTokens } from '../db/console-auth-tokens-repo.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast, since } from './microversion.ts';
import { loadServer } from './servers.ts';

const RULE = 'os_compute_api:os-remote-consoles';

/** A guest whose display a proxy can reach: running, or paused (its display is still there). */
const CONSOLE_VM_STATES: string[] = [VmState.active, VmState.paused, VmState.rescued];
/** Nova refuses consoles while a server is going away or moving. */
const REFUSED_TASK_STATES: (string | null)[] = [TaskState.deleting, TaskState.resizeMigrating];

const remoteConsoleBody = {
  type: 'object', required: ['remote_console'], additionalProperties: false,
  properties: {
    remote_console: {
      type: 'object', required: ['protocol', 'type'], additionalProperties: false,
      properties: {
        protocol: { type: 'string', enum: ['vnc', 'spice', 'rdp', 'serial', 'mks'] },
        type: { type: 'string', enum: ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial', 'webmks'] },
      },
    },
  },
};

const legacyAction = (types: string[]) => ({
  type: 'object', required: ['type'], additionalProperties: false, properties: { type: { type: 'string', enum: types } },
});

/** The deprecated console actions, each with the protocol it stands for and its body schema (Nova's). */
const LEGACY_ACTIONS: Record<string, { protocol: string; schema: object }> = {
  'os-getVNCConsole': { protocol: 'vnc', schema: legacyAction(['novnc', 'xvpvnc']) },
  'os-getSerialConsole': { protocol: 'serial', schema: legacyAction(['serial']) },
  'os-getSPICEConsole': { protocol: 'spice', schema: legacyAction(['spice-html5']) },
  'os-getRDPConsole': { protocol: 'rdp', schema: legacyAction(['rdp-html5']) },
};

/** The legacy console actions' body schemas, for the server action route's table. */
export const legacyConsoleActionSchemas: Record<string, object> = Object.fromEntries(Object.entries(LEGACY_ACTIONS).map(([name, a]) => [name, a.schema]));

export const isLegacyConsoleAction = (name: string): boolean => Object.hasOwn(LEGACY_ACTIONS, name);

/**
 * A console URL for the server: checks the pair, the caller and the server's state, asks the agent for the socket
 * (its driver may have no such console: 400), then stores the token's hash with the socket for the proxy.
 */
async function createConsole(deps: ComputeApiDeps, req: FastifyRequest, protocol: string, type: string): Promise<string> {
  const { server } = await loadServer(deps, req, RULE);
  const served = servedConsoleType(protocol, type);
  if (REFUSED_TASK_STATES.includes(server.taskState)) throw instanceInvalidState('task_state', String(server.taskState), server.uuid, 'get_console');
  if (!server.host || !CONSOLE_VM_STATES.includes(server.vmState)) throw instanceNotReady(server.uuid);
  let socketPath: string;
  try {
    socketPath = await deps.agents.call('get_console_socket', { uuid: server.uuid, kind: SERVED_CONSOLES[served], ttlMs: deps.consoles.tokenTtlMs }, toBusContext(req.ctx),
      { server: server.host, timeoutMs: 30_000 });
  } catch (err) {
    if ((err as { status?: number }).status === 400) {
      req.log.info({ instance: server.uuid, reason: (err as Error).message }, 'console unavailable');
      throw consoleTypeUnavailable(type);
    }
    throw err;
  }
  const now = new Date();
  await purgeExpiredConsoleAuthTokens(deps.db, now);
  const token = newConsoleToken();
  await insertConsoleAuthToken(deps.db, {
    token_hash: hashConsoleToken(token), instance_uuid: server.uuid, console_type: served, host: server.host, socket_path: socketPath,
    created_at: now.toISOString(), expires_at: new Date(now.getTime() + deps.consoles.tokenTtlMs).toISOString(),
  });
  const base = served === 'novnc' ? deps.consoles.novncBaseUrl : deps.consoles.serialBaseUrl;
  return consoleAccessUrl(base, served, token);
}

/** os-getVNCConsole and its kin (2.1–2.5; 404 from 2.6 as in Nova): `{"console": {type, url}}`. */
export async function legacyConsoleAction(deps: ComputeApiDeps, req: FastifyRequest, name: string, args: unknown): Promise<{ console: { type: string; url: string } }> {
  if (atLeast(req, 6)) throw new NotFound('The resource could not be found.');
  const { type } = args as { type: string };
  return { console: { type, url: await createConsole(deps, req, LEGACY_ACTIONS[name].protocol, type) } };
}

export function registerRemoteConsoles(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.post('/v2.1/servers/:server_id/remote-consoles', { schema: { body: remoteConsoleBody } }, async (req) => {
    since(req, 6);
    const { protocol, type } = (req.body as { remote_console: { protocol: string; type: string } }).remote_console;
    // mks (VMware's WebMKS) appeared in 2.8.
    if (!atLeast(req, 8) && (protocol === 'mks' || type === 'webmks')) {
      throw new BadRequest(`Invalid input for field/attribute ${protocol === 'mks' ? 'protocol' : 'type'}. Value: ${protocol === 'mks' ? protocol : type}. is not one of the allowed values`);
    }
    return { remote_console: { protocol, type, url: await createConsole(deps, req, protocol, type) } };
  });
}
