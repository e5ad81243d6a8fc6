// Neutron's quota resources and their defaults; -1 means unlimited.
export const QUOTA_RESOURCES = ['network', 'subnet', 'port', 'router', 'floatingip', 'security_group', 'security_group_rule'] as const;
export type QuotaResource = typeof QUOTA_RESOURCES[number];

export type QuotaDefaults = Record<QuotaResource, number>;

export function isQuotaResource(name: string): name is QuotaResource {
  return (QUOTA_RESOURCES as readonly string[]).includes(name);
}

/** True when `used` already fills `limit`, so one more is refused. */
export function atLimit(limit: number, used: number): boolean {
  return limit >= 0 && used >= limit;
}
