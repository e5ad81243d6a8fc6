// GET /servers/{id}/topology (2.78+): a server's NUMA topology. Stratus's drivers give guests no NUMA layout (no
// hw:numa_* placement), so every server is what Nova shows for an instance without a NUMA topology: no nodes.
import type { FastifyInstance } from 'fastify';
import type { ComputeApiDeps } from './deps.ts';
import { since } from './microversion.ts';
import { loadServer } from './servers.ts';

export function registerServerTopology(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.get('/v2.1/servers/:server_id/topology', async (req) => {
    since(req, 78);
    await loadServer(deps, req, 'compute:server:topology:index');
    return { nodes: [], pagesize_kb: null };
  });
}
