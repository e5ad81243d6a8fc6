// Parses the database URLs found in configuration, so every service reads them the same way.

export type Dialect = 'sqlite' | 'postgres' | 'mysql';

export type DatabaseTarget =
  | { dialect: 'sqlite'; path: string } // an absolute file path, or ':memory:'
  | { dialect: 'postgres'; url: URL; database: string }
  | { dialect: 'mysql'; url: URL; database: string };

/** Reads `sqlite:///abs/path`, `sqlite::memory:`, `postgres(ql)://…/db` or `mysql|mariadb://…/db`; throws on anything else. */
export function parseDatabaseUrl(raw: string): DatabaseTarget {
  if (raw === 'sqlite::memory:' || raw === 'sqlite://:memory:') return { dialect: 'sqlite', path: ':memory:' };
  if (raw.startsWith('sqlite:')) {
    const rest = raw.slice('sqlite://'.length);
    if (!raw.startsWith('sqlite://') || !rest.startsWith('/')) {
      throw new Error(`sqlite database URL must be sqlite:///absolute/path or sqlite::memory:, got ${redactUrl(raw)}`);
    }
    return { dialect: 'sqlite', path: decodeURIComponent(rest) };
  }
  const url = new URL(raw);
  const dialect = ({ 'postgresql:': 'postgres', 'postgres:': 'postgres', 'mysql:': 'mysql', 'mariadb:': 'mysql' } as const)[
    url.protocol as 'postgresql:' | 'postgres:' | 'mysql:' | 'mariadb:'
  ];
  if (!dialect) throw new Error(`unsupported database URL scheme ${url.protocol} (use sqlite, postgresql or mysql)`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$-]{1,63}$/.test(database)) {
    throw new Error(`database URL ${redactUrl(raw)} must name a database of letters, digits, _, $ or - (at most 63)`);
  }
  return { dialect, url, database };
}

/**
 * The URL of one service's database: `{service}` in the template becomes the service name, with '-' turned
 * into '_' so it is a plain identifier (`postgresql://127.0.0.1/stratus_{service}` → `…/stratus_block_storage`).
 * Throws when a server or file template lacks `{service}`, since services must never share a database.
 */
export function databaseUrlFor(template: string, service: string): string {
  if (!/^[a-z][a-z0-9_-]*$/.test(service)) throw new Error(`invalid service name for a database: ${service}`);
  if (!template.includes('{service}')) {
    if (parseDatabaseUrl(template).dialect === 'sqlite' && template.includes(':memory:')) return template;
    throw new Error(`database URL template ${redactUrl(template)} must contain {service}`);
  }
  return template.replaceAll('{service}', service.replaceAll('-', '_'));
}

/** The URL with any password replaced, for log lines and error messages. */
export function redactUrl(raw: string): string {
  return raw.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}
