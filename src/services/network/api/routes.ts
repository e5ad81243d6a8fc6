// The Networking API's route table: every resource registers its routes here, in one place.
import type { FastifyInstance } from 'fastify';
import type { NetworkApiDeps } from './deps.ts';
import { registerVersions } from './versions.ts';
import { registerExtensions } from './extensions.ts';
import { registerNetworks } from './networks.ts';
import { registerSubnets } from './subnets.ts';
import { registerPorts } from './ports.ts';
import { registerQuotas } from './quotas.ts';
import { registerTags } from './tags.ts';
import { registerRouters } from './routers.ts';
import { registerFloatingIps } from './floating-ips.ts';
import { registerSecurityGroups } from './security-groups.ts';
import { registerAgents } from './agents.ts';

export function registerNetworkRoutes(app: FastifyInstance, deps: NetworkApiDeps): void {
  registerVersions(app);
  registerExtensions(app);
  registerNetworks(app, deps);
  registerSubnets(app, deps);
  registerPorts(app, deps);
  registerSecurityGroups(app, deps);
  registerRouters(app, deps);
  registerFloatingIps(app, deps);
  registerAgents(app, deps);
  registerQuotas(app, deps);
  registerTags(app, deps);
}
