// Nova's lookup of the security groups a boot asks for (`security_groups: [{name}]`): each by id, else by name within
// the server's project; the ports Compute creates get those groups.
import { BadRequest, Conflict } from '#lib/errors.ts';

export interface NamedGroup { id: string; name: string }

/** The ids of `requested` among the project's `available` groups, once each, in request order; 400/409 as Nova. */
export function matchSecurityGroups(requested: readonly string[], available: readonly NamedGroup[], projectId: string): string[] {
  const ids: string[] = [];
  for (const want of requested) {
    const byName = available.filter((g) => g.name === want);
    const found = available.find((g) => g.id === want) ?? byName[0];
    if (!found) throw new BadRequest(`Security group ${want} not found for project ${projectId}.`);
    if (available.every((g) => g.id !== want) && byName.length > 1) {
      throw new Conflict(`Multiple security groups found matching '${want}'. Use an ID to be more specific.`);
    }
    if (!ids.includes(found.id)) ids.push(found.id);
  }
  return ids;
}
