// The Object Storage account a project's backups go to, as Cinder's swift backup driver finds it: backup_swift_url
// with the project id appended, or else the catalog's object-store endpoint (`…/v1/AUTH_<project>`, filled in for the
// service's own project) pointed at the backup owner's account instead.

const ACCOUNT = /\/AUTH_[^/]*\/?$/;

export async function swiftAccountUrl(source: { configured: string; catalog(): Promise<string | undefined> }, projectId: string): Promise<string | undefined> {
  if (source.configured) return `${source.configured}${projectId}`;
  const endpoint = await source.catalog();
  if (!endpoint || !ACCOUNT.test(endpoint)) return undefined;
  return endpoint.replace(ACCOUNT, `/AUTH_${projectId}`);
}
