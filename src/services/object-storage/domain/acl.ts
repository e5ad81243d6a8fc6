// Container ACLs as Swift's keystoneauth reads them: `.r:*` (any referrer), `.rlistings` (may list), and
// `<project>:<user>` entries with ids or names, `*` for any.
export interface ParsedAcl {
  anyReferrer: boolean;
  listings: boolean;
  grants: { project: string; user: string }[];
}

export interface AclSubject {
  projectId?: string;
  projectName?: string;
  userId?: string;
  userName?: string;
}

/** Parses a header value; unknown referrer forms (`.r:example.com`) are kept out rather than guessed at. */
export function parseAcl(value: string | null | undefined): ParsedAcl {
  const out: ParsedAcl = { anyReferrer: false, listings: false, grants: [] };
  for (const raw of (value ?? '').split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    if (item === '.rlistings') out.listings = true;
    else if (item === '.r:*' || item === '.referrer:*') out.anyReferrer = true;
    else if (!item.startsWith('.')) {
      const [project, user] = item.includes(':') ? item.split(':', 2) : [item, '*'];
      out.grants.push({ project, user });
    }
  }
  return out;
}

/** Whether an ACL has a `<project>:<user>` entry matching the caller (ids or names). */
export function aclGrants(acl: ParsedAcl, who: AclSubject | undefined): boolean {
  if (!who) return false;
  const matches = (pattern: string, id?: string, name?: string) => pattern === '*' || (id !== undefined && pattern === id) || (name !== undefined && pattern === name);
  return acl.grants.some((g) => matches(g.project, who.projectId, who.projectName) && matches(g.user, who.userId, who.userName));
}

/** Validates an ACL header before it is stored: printable text only. */
export function validAclHeader(value: string): boolean {
  return !/[\x00-\x1f\x7f]/.test(value) && value.length <= 4096;
}
