// Which external servers (PostgreSQL, MariaDB, RabbitMQ, the openstack CLI) test suites may use.
// Without STRATUS_REQUIRE_SERVERS=1 a suite whose server is missing skips with a message; in CI it must run.

export const requireServers = process.env.STRATUS_REQUIRE_SERVERS === '1';

export const testServerUrls = {
  postgres: process.env.STRATUS_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  mysql: process.env.STRATUS_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
  amqp: process.env.STRATUS_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/',
};

/** Returns undefined when the suite can run, or the reason to skip; throws if servers are required. */
export async function skipUnlessReachable(what: string, probe: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await probe();
    return undefined;
  } catch (err) {
    const reason = `${what} is not reachable (${(err as Error).message}); set STRATUS_REQUIRE_SERVERS=1 to make this a failure`;
    if (requireServers) throw new Error(`${what} is required (STRATUS_REQUIRE_SERVERS=1) but not reachable: ${(err as Error).message}`);
    return reason;
  }
}
