// The stratus command: `up` runs the whole cloud in one process, `serve` runs chosen roles (the multi-host form).
import { Command } from 'commander';
import { join } from 'node:path';
import { createLogger } from '#lib/log.ts';
import { readConfigFile } from '#lib/config/file.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { identityOptions, rotateIdentityKeys, defaultKeysDir } from '#services/identity/roles.ts';
import { cloudOptions } from '#lib/config/cloud.ts';
import { objectReconReport, objectRingReport, objectStorageOptions } from '#services/object-storage/roles.ts';
import { networkOptions } from '#services/network/roles.ts';
import { provisionDefaults } from './provision.ts';
import { dataDir } from './data-dir.ts';
import { traceServer } from './trace.ts';
import { defaultCacheDir, ensureGuestImage } from '../guest-image/build.ts';
import { ROLES, startRoles } from './runner.ts';
import type { RoleName } from './runner.ts';

async function run(roles: RoleName[], opts: { bootstrap: boolean }): Promise<void> {
  const started = performance.now();
  const data = dataDir();
  const config = readConfigFile(data.configFile);
  const cloud = resolveOptions('stratus', cloudOptions, config.stratus);
  const log = createLogger({ level: cloud.log_level, name: 'stratus', file: join(data.root, 'logs', 'stratus.log') });
  const running = await startRoles({ roles, data, log, bootstrap: opts.bootstrap });
  const ms = Math.round(performance.now() - started);
  const clouds = join(data.root, 'clouds.yaml');
  process.stdout.write([
    `Stratus is ready in ${ms} ms (${roles.join(', ')}).`,
    ...Object.entries(running.urls).map(([name, url]) => `  ${name}: ${url}`),
    `Use it with the openstack CLI:`,
    `  export OS_CLIENT_CONFIG_FILE=${clouds}`,
    `  openstack --os-cloud stratus token issue`,
    `or: source ${join(data.root, 'openrc')}`,
    '',
  ].join('\n'));
  if (opts.bootstrap) {
    // After "ready": the first start's image build can take a minute, and the cloud is usable meanwhile.
    const network = resolveOptions('network', networkOptions, config.network);
    const wired = roles.includes('network-agent') && network.data_plane_driver === 'linuxbridge' && network.host_external_cidr;
    void provisionDefaults({
      data, log, authUrl: running.authUrl,
      externalNetwork: wired ? { physicalNetwork: network.host_external_physnet, hostCidr: network.host_external_cidr } : undefined,
      guestImage: cloud.guest_image && roles.includes('image'),
    });
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    try {
      await running.stop();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

const program = new Command('stratus').description('An OpenStack-compatible cloud in one program.');

program.command('up').description('Run every implemented service in this process (SQLite and the in-process bus by default).')
  .option('--fake-hosts <n>', 'simulate N compute hosts with the fake driver (sets compute.fake_hosts)')
  .option('--real-vms', 'boot real VMs (as root): the qemu driver, the linuxbridge data plane and the host on the public network 172.24.4.0/24')
  .action((o: { fakeHosts?: string; realVms?: boolean }) => {
    if (o.fakeHosts !== undefined) {
      if (!/^[1-9][0-9]*$/.test(o.fakeHosts)) program.error('--fake-hosts takes a positive whole number');
      process.env.STRATUS_COMPUTE_FAKE_HOSTS = o.fakeHosts;
    }
    if (o.realVms) {
      if (o.fakeHosts !== undefined) program.error('--real-vms and --fake-hosts exclude each other');
      if (process.getuid?.() !== 0) program.error('--real-vms needs root: guests plug into taps, bridges and namespaces');
      // As environment options (which override stratus.yaml); what the caller's environment already sets stays.
      process.env.STRATUS_COMPUTE_DRIVER ??= 'qemu';
      process.env.STRATUS_NETWORK_DATA_PLANE_DRIVER ??= 'linuxbridge';
      process.env.STRATUS_NETWORK_HOST_EXTERNAL_CIDR ??= '172.24.4.1/24';
    }
    return run([...ROLES], { bootstrap: true });
  });

program.command('serve').description('Run a subset of the roles, e.g. on one host of a multi-host cloud.')
  .requiredOption('--services <list>', `comma-separated roles: ${ROLES.join(', ')}`)
  .option('--no-bootstrap', 'do not create the bootstrap domain, users and catalog')
  .action((o: { services: string; bootstrap: boolean }) => {
    const roles = o.services.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
    if (unknown.length) program.error(`unknown role(s): ${unknown.join(', ')}; known: ${ROLES.join(', ')}`);
    return run(roles as RoleName[], { bootstrap: o.bootstrap });
  });

program.command('rotate-keys').description('Rotate the identity token keys, as keystone-manage fernet_rotate does.')
  .action(() => {
    const data = dataDir();
    const options = resolveOptions('identity', identityOptions, readConfigFile(data.configFile).identity);
    rotateIdentityKeys(defaultKeysDir(data.root), options.max_active_keys);
    process.stdout.write(`rotated the token keys in ${defaultKeysDir(data.root)}\n`);
  });

program.command('ring').description('Show the object ring (building or rebalancing it first when object_storage.devices or replicas changed).')
  .action(async () => {
    const data = dataDir();
    const options = resolveOptions('object_storage', objectStorageOptions, readConfigFile(data.configFile).object_storage);
    process.stdout.write(await objectRingReport(data.root, options));
  });

program.command('recon').description('Show object storage upkeep on this host: quarantined replicas and temp files per device, pending listing updates.')
  .option('--json', 'print the report as JSON')
  .action(async (o: { json?: boolean }) => {
    const data = dataDir();
    const options = resolveOptions('object_storage', objectStorageOptions, readConfigFile(data.configFile).object_storage);
    process.stdout.write(await objectReconReport(data.root, options, { json: o.json }));
  });

program.command('trace').argument('<server>', 'server id or name')
  .description('Print a server\'s boot (or another action) as one timeline across services, with each step\'s duration.')
  .option('--action <name>', 'the instance action to trace (create, stop, delete…)', 'create')
  .action(async (server: string, o: { action: string }) => {
    process.stdout.write(await traceServer(dataDir(), server, { action: o.action }));
  });

program.command('image-build').description('Build the cirros-like guest image from Debian packages (or reuse the cached one) and print its path.')
  .action(async () => {
    const log = createLogger({ name: 'stratus' });
    process.stdout.write(`${(await ensureGuestImage({ cacheDir: defaultCacheDir(), log })).path}\n`);
  });

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`stratus: ${err.message}\n`);
  process.exit(1);
});
