// Test helper run as a child process, so a test can kill the proxy with SIGKILL in the middle of a request
// (listing-repair.test.ts): the object storage proxy over the data directory and Identity given in the environment
// (STRATUS_TEST_DATA_DIR, STRATUS_TEST_AUTH_URL, STRATUS_TEST_SWIFT_PASSWORD), durable writes, no background passes.
// Prints its URL once listening.
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { createObjectStorage, objectStorageOptions } from '../roles.ts';

/** The options the test uses for this child and for the proxy it restarts in its own process. */
export const crashTestOptions = { fsync: true, part_power: 6, replicator_interval: 0, auditor_interval: 0, updater_interval: 0, expirer_interval: 0 };

if (import.meta.main) {
  const env = (name: string) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set`);
    return v;
  };
  const dataDir = env('STRATUS_TEST_DATA_DIR');
  const service = await createObjectStorage({
    options: resolveOptions('object_storage', objectStorageOptions, crashTestOptions, {}),
    databaseUrl: `sqlite://${dataDir}/object-storage.sqlite`, dataDir, authUrl: env('STRATUS_TEST_AUTH_URL'),
    servicePassword: env('STRATUS_TEST_SWIFT_PASSWORD'), log: silentLogger(),
  });
  process.stdout.write(`${await service.listen('127.0.0.1', 0)}\n`);
}
