// Flavor rows → Nova's JSON per microversion (description from 2.55, extra_specs from 2.61, swap 0 not '' from 2.75),
// with self and bookmark links.
import type { FastifyRequest } from 'fastify';
import type { Flavor } from '../domain/flavor.ts';
import { atLeast } from './microversion.ts';

const origin = (req: FastifyRequest): string => `${req.protocol}://${req.headers.host ?? req.host}`;

function links(req: FastifyRequest, id: string) {
  return [
    { rel: 'self', href: `${origin(req)}/v2.1/flavors/${id}` },
    { rel: 'bookmark', href: `${origin(req)}/flavors/${id}` },
  ];
}

export function flavorSummary(req: FastifyRequest, f: Flavor): Record<string, unknown> {
  return { id: f.id, name: f.name, ...(atLeast(req, 55) ? { description: f.description } : {}), links: links(req, f.id) };
}

/** `extraSpecs`: shown from 2.61 when given (the caller may index extra specs). */
export function flavorDetail(req: FastifyRequest, f: Flavor, extraSpecs?: Record<string, string>): Record<string, unknown> {
  return {
    id: f.id, name: f.name, ram: f.ram, disk: f.disk, swap: f.swap === 0 ? (atLeast(req, 75) ? 0 : '') : f.swap, vcpus: f.vcpus,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral, 'OS-FLV-DISABLED:disabled': f.disabled, 'os-flavor-access:is_public': f.isPublic,
    rxtx_factor: f.rxtxFactor, ...(atLeast(req, 55) ? { description: f.description } : {}), links: links(req, f.id),
    ...(extraSpecs && atLeast(req, 61) ? { extra_specs: extraSpecs } : {}),
  };
}
