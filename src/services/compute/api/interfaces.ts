// os-interface: a server's port interfaces. Attach (a port, or a new port on a network) is an RPC call to the
// server's agent, which plugs it and answers, so the response shows the attached port; detach is a cast (202).
// List and show read the ports from Networking, as Nova does.
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { BadRequest, Conflict, NotFound } from '#lib/errors.ts';
import type { NetworkClient, Port } from '#services/network/contract/client.ts';
import type { Instance } from '../domain/instance.ts';
import { VmState } from '../domain/vm-states.ts';
import { instanceInvalidState } from '../domain/errors.ts';
import { startAction } from '../db/actions-repo.ts';
import { assertUnlocked, loadServer } from './servers.ts';
import type { Caller, ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import { createInterfaceBody } from './schemas/interfaces.ts';
import type { CreateInterfaceBody } from './schemas/interfaces.ts';

/** Nova's check_instance_state for attach_interface and detach_interface (and task_state None). */
const INTERFACE_STATES: string[] = [VmState.active, VmState.paused, VmState.stopped];

/** The agent plugs and may wait for the network agent's tap (60 s at most): give it that and some. */
const ATTACH_TIMEOUT_MS = 120_000;

export const interfaceView = (p: Port) => ({
  net_id: p.network_id, port_id: p.id, mac_addr: p.mac_address, port_state: p.status,
  fixed_ips: p.fixed_ips.map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })),
});

/** 2.70: each interface with its device tag (the 2.49 tag kept in the server's network info; null without one). */
const viewFor = (req: FastifyRequest, server: Instance) => (p: Port) => ({
  ...interfaceView(p),
  ...(atLeast(req, 70) ? { tag: (server.networkInfo.find((b) => b.portId === p.id) as { tag?: string } | undefined)?.tag ?? null } : {}),
});

const portNotFound = (id: string) => new NotFound(`Port id ${id} could not be found.`);

function assertChangeable(caller: Caller, server: Instance, action: string): void {
  assertUnlocked(caller, server);
  if (!server.host || !INTERFACE_STATES.includes(server.vmState)) throw instanceInvalidState('vm_state', server.vmState, server.uuid, action);
  if (server.taskState !== null) throw instanceInvalidState('task_state', server.taskState, server.uuid, action);
}

async function networkClient(deps: ComputeApiDeps): Promise<NetworkClient> {
  const n = await deps.network();
  if (!n) throw new BadRequest('Networking is not available in this cloud.');
  return n;
}

const userOf = (req: FastifyRequest) => ({ token: req.ctx.authToken, globalRequestId: req.ctx.globalRequestId });

/** What to attach, checked before anything is recorded: the port or network exists for the user, the port is free. */
async function resolveTarget(network: NetworkClient, req: FastifyRequest, server: Instance, body: NonNullable<CreateInterfaceBody['interfaceAttachment']>) {
  const user = userOf(req);
  if (body.port_id) {
    const port = await network.getPort(body.port_id, user);
    if (!port) throw portNotFound(body.port_id);
    if (port.device_id) throw new Conflict(`Port ${body.port_id} is still in use.`);
    return { portId: port.id };
  }
  if (body.net_id) {
    if (!await network.getNetwork(body.net_id, user)) throw new NotFound(`Network ${body.net_id} could not be found.`);
    return { networkId: body.net_id };
  }
  // Neither: the one network the server's project may use (its own and the shared ones), as Nova picks it.
  const usable = (await network.listNetworks({}, user)).filter((n) => n.shared || n.project_id === server.projectId);
  if (usable.length > 1) throw new BadRequest('More than one possible network found. Specify network ID(s) to select which one(s) to connect to.');
  if (!usable.length) throw new BadRequest(`No specific network was requested and none are available for project '${server.projectId}'.`);
  return { networkId: usable[0].id };
}

export function registerInterfaces(app: FastifyInstance, deps: ComputeApiDeps): void {
  const base = '/v2.1/servers/:server_id/os-interface';
  const portParam = (req: FastifyRequest) => (req.params as { port_id: string }).port_id;

  app.get(base, async (req) => {
    const { server } = await loadServer(deps, req, 'os_compute_api:os-attach-interfaces:list');
    const network = await deps.network();
    if (!network) return { interfaceAttachments: [] };
    return { interfaceAttachments: (await network.listPorts({ device_id: server.uuid }, userOf(req))).map(viewFor(req, server)) };
  });

  app.get(`${base}/:port_id`, async (req) => {
    const { server } = await loadServer(deps, req, 'os_compute_api:os-attach-interfaces:show');
    const portId = portParam(req);
    const port = await (await networkClient(deps)).getPort(portId, userOf(req));
    if (!port) throw portNotFound(portId);
    if (port.device_id !== server.uuid) throw new NotFound(`Instance ${server.uuid} does not have a port with id ${portId}`);
    return { interfaceAttachment: viewFor(req, server)(port) };
  });

  app.post(base, { schema: { body: createInterfaceBody } }, async (req) => {
    const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-attach-interfaces:create');
    const body = (req.body as CreateInterfaceBody).interfaceAttachment ?? {};
    if (body.tag !== undefined && !atLeast(req, 49)) {
      throw new BadRequest("Invalid input for field/attribute interfaceAttachment. Additional properties are not allowed ('tag' was unexpected)");
    }
    const fixedIp = body.fixed_ips?.[0].ip_address;
    if (body.net_id && body.port_id) throw new BadRequest('Must not input both network_id and port_id');
    if (fixedIp && !body.net_id) throw new BadRequest('Must input network_id when request IP address');
    if (fixedIp && !isIP(fixedIp)) throw new BadRequest(`Invalid input for field/attribute ip_address. Value: ${fixedIp}. '${fixedIp}' is not an IP address`);
    assertChangeable(caller, server, 'attach_interface');
    const network = await networkClient(deps);
    const target = await resolveTarget(network, req, server, body);
    await startAction(deps.db, {
      instanceUuid: server.uuid, action: 'attach_interface', requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
      userId: caller.credentials.userId, projectId: server.projectId,
    });
    const { portId } = await deps.agents.call('attach_interface', {
      uuid: server.uuid, ...target, ...(fixedIp ? { fixedIp } : {}), ...(body.tag !== undefined ? { tag: body.tag } : {}),
    }, toBusContext(req.ctx, { forwardToken: true }), { server: server.host!, timeoutMs: ATTACH_TIMEOUT_MS });
    const port = await network.getPort(portId, userOf(req));
    if (!port) throw portNotFound(portId);
    return { interfaceAttachment: { ...interfaceView(port), ...(atLeast(req, 70) ? { tag: body.tag ?? null } : {}) } };
  });

  app.delete(`${base}/:port_id`, async (req, reply) => {
    const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-attach-interfaces:delete');
    assertChangeable(caller, server, 'detach_interface');
    const portId = portParam(req);
    if (!server.networkInfo.some((p) => p.portId === portId)) throw new NotFound(`Port ${portId} is not attached`);
    await startAction(deps.db, {
      instanceUuid: server.uuid, action: 'detach_interface', requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
      userId: caller.credentials.userId, projectId: server.projectId,
    });
    await deps.agents.cast('detach_interface', { uuid: server.uuid, portId }, toBusContext(req.ctx, { forwardToken: true }), { server: server.host! });
    return reply.code(202).send();
  });
}
