// The query string of GET /allocation_candidates, per microversion: request groups (suffixed from 1.25), limit,
// required traits, member_of, in_tree, group_policy, root_required and same_subtree, with Placement's 400s.
import type { FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { queryBadValue, queryDuplicateKey, queryMissingValue } from '../domain/errors.ts';
import type { RequestGroup, RequestWide } from '../domain/request-groups.ts';
import { isGranular } from '../domain/request-groups.ts';
import type { PlacementApiOptions } from './deps.ts';
import { minorOf } from './microversion.ts';
import { parseInTree, parseMemberOf, parseRequired, parseResources } from './query-params.ts';

const GROUP_KEY = /^(resources|required|member_of|in_tree)(.*)$/;
const NUMERIC_SUFFIX = /^[1-9][0-9]*$/;
const STRING_SUFFIX = /^[a-zA-Z0-9_-]{1,64}$/;

export interface CandidateQuery {
  groups: RequestGroup[];
  wide: RequestWide;
}

const unexpected = (key: string) => new BadRequest(`Invalid query string parameters: Additional properties are not allowed ('${key}' was unexpected)`);

/** Parses and checks the query; names of classes and traits are checked against the database by the caller. */
export function parseCandidateQuery(req: FastifyRequest, options: PlacementApiOptions): CandidateQuery {
  const minor = minorOf(req);
  const raw = req.query as Record<string, string | string[]>;
  const values = (key: string): string[] => [raw[key]].flat().filter((v): v is string => v !== undefined);
  const once = (key: string): string | undefined => {
    const v = values(key);
    if (v.length > 1) throw queryDuplicateKey(`Query parameter '${key}' may be specified only once.`);
    return v[0];
  };

  const byPrefix = new Map<string, RequestGroup>();
  const group = (suffix: string): RequestGroup => {
    let g = byPrefix.get(suffix);
    if (!g) byPrefix.set(suffix, (g = { suffix, resources: new Map(), requiredTraits: [], forbiddenTraits: new Set(), memberOf: [], forbiddenAggregates: new Set() }));
    return g;
  };
  const wideKeys = new Set(['limit', ...(minor >= 25 ? ['group_policy'] : []), ...(minor >= 35 ? ['root_required'] : []), ...(minor >= 36 ? ['same_subtree'] : [])]);
  for (const key of Object.keys(raw)) {
    if (wideKeys.has(key) && (key !== 'limit' || minor >= 16)) continue;
    const m = GROUP_KEY.exec(key);
    if (!m) throw unexpected(key);
    const [, prefix, suffix] = m;
    const suffixOk = suffix === '' || (minor >= 25 && (minor >= 33 ? STRING_SUFFIX : NUMERIC_SUFFIX).test(suffix));
    const prefixSince = { resources: 10, required: 17, member_of: 21, in_tree: 31 }[prefix as 'resources'];
    if (!suffixOk || minor < prefixSince) throw unexpected(key);
    const g = group(suffix);
    if (prefix === 'resources') g.resources = parseResources(once(key)!, key);
    else if (prefix === 'required') Object.assign(g, traitsOf(parseRequired(values(key), minor)));
    else if (prefix === 'member_of') {
      const a = parseMemberOf(values(key), minor, key);
      g.memberOf = a.memberOf;
      g.forbiddenAggregates = a.forbidden;
    } else g.inTree = parseInTree(once(key)!, key);
  }
  if (minor < 25 && !raw.resources) throw new BadRequest("Invalid query string parameters: 'resources' is a required property");

  const wide: RequestWide = {
    rootRequired: new Set(), rootForbidden: new Set(), sameSubtrees: [], nestedAware: minor >= 29,
    maxCandidates: options.max_allocation_candidates, randomize: options.randomize_allocation_candidates,
  };
  const limit = once('limit');
  if (limit !== undefined) {
    if (!/^[1-9][0-9]*$/.test(limit)) throw new BadRequest(`Invalid query string parameters: '${limit}' does not match '^[1-9][0-9]*$'`);
    wide.limit = Number(limit);
  }
  const policy = once('group_policy');
  if (policy !== undefined) {
    if (policy !== 'none' && policy !== 'isolate') throw new BadRequest(`Invalid query string parameters: '${policy}' is not one of ['none', 'isolate']`);
    wide.groupPolicy = policy;
  }
  const rootRequired = values('root_required');
  if (rootRequired.length > 1) throw queryDuplicateKey("Query parameter 'root_required' may be specified only once.");
  if (rootRequired.length === 1) {
    if (rootRequired[0].startsWith('in:')) throw new BadRequest(`Invalid query string parameters: root_required does not support the 'in:' form. Got: ${rootRequired[0]}`);
    const t = parseRequired(rootRequired, 22);
    wide.rootRequired = new Set(t.required.flat());
    wide.rootForbidden = t.forbidden;
    const both = [...wide.rootRequired].filter((n) => wide.rootForbidden.has(n));
    if (both.length > 0) throw queryBadValue(`Conflicting required and forbidden traits found in root_required: ${both.join(', ')}`);
  }
  for (const value of values('same_subtree')) {
    const suffixes = [...new Set(value.split(',').map((s) => s.trim()))];
    if (suffixes.includes('')) throw queryBadValue('Empty string (unsuffixed group) can not be specified in `same_subtree` ');
    wide.sameSubtrees.push(suffixes);
  }

  const groups = [...byPrefix.values()].sort((a, b) => (a.suffix === '' ? -1 : b.suffix === '' ? 1 : 0));
  checkGroups(groups, wide, minor);
  if (!wide.groupPolicy && groups.filter(isGranular).length > 1) {
    throw new BadRequest('The "group_policy" parameter is required when specifying more than one "resources{N}" parameter.');
  }
  return { groups, wide };
}

function traitsOf(t: { required: string[][]; forbidden: Set<string> }): Pick<RequestGroup, 'requiredTraits' | 'forbiddenTraits'> {
  return { requiredTraits: t.required, forbiddenTraits: t.forbidden };
}

/** Placement's consistency rules between groups: who must have resources, what same_subtree may name, trait conflicts. */
function checkGroups(groups: RequestGroup[], wide: RequestWide, minor: number): void {
  const resourceless = groups.filter((g) => g.resources.size === 0).map((g) => g.suffix);
  if (minor >= 36) {
    if (resourceless.length === groups.length) throw queryMissingValue('There must be at least one resources or resources[$S] parameter.');
    const named = new Set(wide.sameSubtrees.flat());
    const bad = resourceless.filter((s) => !named.has(s));
    if (bad.length > 0) throw queryBadValue(`Resourceless suffixed group request should be specified in \`same_subtree\` query param: bad group(s) - ${JSON.stringify(bad)}.`);
    const missing = [...named].filter((s) => !groups.some((g) => g.suffix === s));
    if (missing.length > 0) {
      throw queryBadValue(`Real suffixes should be specified in \`same_subtree\`: ${JSON.stringify(missing)} not found in ${JSON.stringify(groups.map((g) => g.suffix))}.`);
    }
  } else {
    const orphanTraits = groups.filter((g) => g.resources.size === 0 && g.requiredTraits.length + g.forbiddenTraits.size > 0).map((g) => `required${g.suffix}`);
    if (orphanTraits.length > 0) throw new BadRequest(`All traits parameters must be associated with resources.  Found the following orphaned traits keys: ${orphanTraits.join(', ')}`);
    const orphanAggs = groups.filter((g) => g.resources.size === 0 && g.memberOf.length + g.forbiddenAggregates.size > 0).map((g) => `member_of${g.suffix}`);
    if (orphanAggs.length > 0) throw new BadRequest(`All member_of parameters must be associated with resources. Found the following orphaned member_of keys: ${orphanAggs.join(', ')}`);
    if (resourceless.length > 0) throw new BadRequest('All request groups must specify resources.');
    if (groups.length === 0) throw new BadRequest('At least one request group (`resources` or `resources{$S}`) is required.');
  }
  if (minor >= 22) {
    const conflicts = groups.flatMap((g) => g.requiredTraits.filter((anyOf) => anyOf.every((t) => g.forbiddenTraits.has(t)))
      .map((anyOf) => `required${g.suffix}: (${[...anyOf].sort().join(', ')})`));
    if (conflicts.length > 0) throw new BadRequest(`Conflicting required and forbidden traits found in the following traits keys: ${conflicts.sort().join(', ')}`);
  }
}
