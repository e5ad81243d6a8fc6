// Recognises constraint violations from all three engines, so repositories can turn them into 409 Conflict.

interface DriverError {
  code?: unknown; // pg: SQLSTATE; mysql2: 'ER_DUP_ENTRY'…; node:sqlite: 'ERR_SQLITE_ERROR'
  errno?: unknown; // mysql2: the server's error number
  errcode?: unknown; // node:sqlite: the extended result code
  message?: unknown;
  cause?: unknown;
}

// SQLite extended result codes: SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY, _FOREIGNKEY.
const SQLITE_UNIQUE = new Set([2067, 1555]);
const SQLITE_FOREIGN_KEY = 787;
// MySQL/MariaDB: ER_DUP_ENTRY; ER_ROW_IS_REFERENCED(_2) and ER_NO_REFERENCED_ROW(_2).
const MYSQL_UNIQUE = new Set([1062]);
const MYSQL_FOREIGN_KEY = new Set([1451, 1452, 1216, 1217]);

/** True when the error (or one it wraps) is a unique or primary-key violation on any supported engine. */
export function isUniqueViolation(err: unknown): boolean {
  return someInChain(err, (e) =>
    e.code === '23505' ||
    (typeof e.errcode === 'number' && SQLITE_UNIQUE.has(e.errcode)) ||
    (typeof e.errno === 'number' && MYSQL_UNIQUE.has(e.errno)) ||
    e.code === 'ER_DUP_ENTRY');
}

/** True when the error (or one it wraps) is a foreign-key violation on any supported engine. */
export function isForeignKeyViolation(err: unknown): boolean {
  return someInChain(err, (e) =>
    e.code === '23503' ||
    e.errcode === SQLITE_FOREIGN_KEY ||
    (e.code === 'ERR_SQLITE_ERROR' && typeof e.message === 'string' && e.message.includes('FOREIGN KEY constraint failed')) ||
    (typeof e.errno === 'number' && MYSQL_FOREIGN_KEY.has(e.errno)));
}

function someInChain(err: unknown, test: (e: DriverError) => boolean): boolean {
  let current = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const e = current as DriverError;
    if (test(e)) return true;
    current = e.cause;
  }
  return false;
}
