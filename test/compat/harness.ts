// Runs `stratus up` as a child process and drives it with the real openstack CLI, as an operator would.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { requireServers } from '#lib/test-servers.ts';

export const OPENSTACK_CLI = '/usr/bin/openstack';

/**
 * Config sections of the services that listen on a port; each gets STRATUS_<SECTION>_PORT. compute_novncproxy and
 * compute_serialproxy (and compute_metadata) name compute's novncproxy_port, serialproxy_port (metadata_port) the same way.
 */
const SERVICE_SECTIONS = ['identity', 'compute', 'placement', 'image', 'network', 'block_storage', 'object_storage', 'orchestration', 'telemetry', 'dashboard', 'compute_novncproxy', 'compute_serialproxy', 'compute_metadata'];
const REPO_ROOT = resolve(import.meta.dirname, '../..');
// A cloud is ready in 1–3 s on a quiet machine; a real-VM cloud started while the 2 cores run other suites and
// benchmarks once took over 30 s in CI.
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;
const CLI_TIMEOUT_MS = 60_000;

/**
 * Undefined when the CLI suites can run, else why they skip. Throws when STRATUS_REQUIRE_SERVERS=1 and the CLI is
 * missing, so CI cannot pass by skipping.
 */
export function cliSkipReason(): string | undefined {
  if (existsSync(OPENSTACK_CLI)) return undefined;
  if (requireServers) throw new Error(`${OPENSTACK_CLI} is required (STRATUS_REQUIRE_SERVERS=1) but missing: apt-get install python3-openstackclient`);
  return `${OPENSTACK_CLI} is missing (apt-get install python3-openstackclient); set STRATUS_REQUIRE_SERVERS=1 to make this a failure`;
}

/** A port nobody listens on right now: bind port 0, read what the kernel chose, release it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Extra environment for the CLI (OS_* from the test's own environment are never passed on). */
  env?: Record<string, string>;
  /** The clouds.yaml entry to use; `null` for none, when the arguments carry all the auth options. Default `stratus`. */
  cloud?: string | null;
}

/** A clouds.yaml entry for a user's password scoped to a project in the Default domain. */
export interface PasswordCloud {
  username: string;
  password: string;
  projectId: string;
}

/** A clouds.yaml entry that authenticates with an application credential. */
export interface AppCredCloud {
  applicationCredentialId: string;
  applicationCredentialSecret: string;
}

export interface StartOptions {
  /** Reuse a data directory (a restart); a fresh temp directory otherwise. */
  dataDir?: string;
  /** Reuse the ports (a restart keeps URLs in tokens' catalogs and clouds.yaml valid); free ports otherwise. */
  ports?: Record<string, number>;
  /** The admin password passed as STRATUS_ADMIN_PASSWORD; a random one otherwise. */
  adminPassword?: string;
  /** STRATUS_LOG_LEVEL; default `warn`. */
  logLevel?: string;
  /** More STRATUS_* options for this cloud (e.g. STRATUS_COMPUTE_FAKE_HOSTS). */
  env?: Record<string, string>;
}

export interface RunningCloud {
  readonly dataDir: string;
  /** Identity's port. */
  readonly port: number;
  /** Every service's port, by config section name. */
  readonly ports: Record<string, number>;
  readonly authUrl: string;
  readonly adminPassword: string;
  /** The clouds.yaml that `stratus up` wrote; the CLI reads it through OS_CLIENT_CONFIG_FILE. */
  readonly cloudsYaml: string;
  /** Where the child's stdout and stderr go (appended to across restarts). */
  readonly logFile: string;
  /** Runs the CLI; never rejects on a non-zero exit, the caller looks at `code`. */
  openstack(args: string[], opts?: CliOptions): Promise<CliResult>;
  /** Runs the CLI with `-f json` and parses stdout; rejects with the CLI's stderr when it exits non-zero. */
  openstackJson<T = Record<string, unknown>>(args: string[], opts?: CliOptions): Promise<T>;
  /** Runs the CLI and asserts it succeeded, with its stderr in the failure message. */
  ok(args: string[], opts?: CliOptions): Promise<CliResult>;
  /** Runs the CLI and asserts it failed with stderr matching `why`. */
  fails(args: string[], why: RegExp, opts?: CliOptions): Promise<CliResult>;
  /**
   * Adds (or replaces) an entry in clouds.yaml so a test can act as another user. Atomic, so concurrent CLI runs never
   * read half a file. `stratus up` rewrites clouds.yaml when it starts, so entries do not survive a restart.
   */
  addCloud(name: string, auth: PasswordCloud | AppCredCloud): void;
  /**
   * SIGTERM, then waits for the exit (SIGKILL after 15 s); rejects unless the process exits with code 0, as a clean
   * shutdown is part of the contract. Idempotent: later calls return the first call's outcome.
   */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function cliEnv(cloudsYaml: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OS_')) env[k] = v;
  return { ...env, OS_CLIENT_CONFIG_FILE: cloudsYaml, ...extra };
}

/** The log's last lines, without the request lines (periodic polls would fill the tail and hide what stalled). */
function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').filter((l) => !l.includes('"msg":"request"')).slice(-lines).join('\n');
}

/** Waits until stdout carries the ready line; rejects if the process exits first or the timeout passes. */
function waitForReady(child: ChildProcess, logFile: string): Promise<void> {
  return new Promise((done, fail) => {
    let seen = '';
    const timer = setTimeout(() => finish(new Error(`stratus up was not ready within ${READY_TIMEOUT_MS} ms; log tail:\n${tail(logFile)}`)), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      if (/^Stratus is ready/m.test(seen)) finish();
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`stratus up exited (code ${code}, signal ${signal}) before it was ready; log tail:\n${tail(logFile)}`));
    function finish(err?: Error) {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (err) fail(err);
      else done();
    }
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Starts `stratus up` and resolves once it printed its ready line and wrote clouds.yaml. Kills the child if it fails to start. */
/**
 * A suite's cloud: started before its tests, stopped (a clean exit asserted) and its data directory removed after
 * them. Call it inside `describe`; the returned function is the running cloud.
 */
export function useCloud(opts: StartOptions = {}): () => RunningCloud {
  let cloud: RunningCloud | undefined;
  before(async () => { cloud = await startCloud(opts); });
  after(async () => {
    await cloud?.stop();
    if (cloud) rmSync(cloud.dataDir, { recursive: true, force: true });
  });
  return () => {
    if (!cloud) throw new Error('the suite\'s cloud has not started');
    return cloud;
  };
}

export async function startCloud(opts: StartOptions = {}): Promise<RunningCloud> {
  // A free port can be taken by another test between the harness picking it and Stratus binding it. A fresh cloud
  // (no data directory or ports given) then simply starts again elsewhere; a restart keeps its ports and fails.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startCloudOnce(opts);
    } catch (err) {
      if (attempt >= 3 || opts.dataDir || opts.ports || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

async function startCloudOnce(opts: StartOptions): Promise<RunningCloud> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'stratus-compat-'));
  // Every service gets a free port of its own, so suites can run their clouds side by side. Sections a build does
  // not have are ignored by the options resolver.
  const ports: Record<string, number> = { ...opts.ports };
  for (const section of SERVICE_SECTIONS) ports[section] ??= await freePort();
  const port = ports.identity;
  const adminPassword = opts.adminPassword ?? randomBytes(18).toString('base64url');
  const cloudsYaml = join(dataDir, 'clouds.yaml');
  // The console (stdout and stderr); Stratus writes its own log file, logs/stratus.log, beside it.
  const logFile = join(dataDir, 'logs', 'console.log');
  const env: NodeJS.ProcessEnv = {
    ...process.env, STRATUS_DATA_DIR: dataDir,
    ...Object.fromEntries(Object.entries(ports).map(([section, p]) => [`STRATUS_${section.toUpperCase()}_PORT`, String(p)])),
    // The guest image is built and uploaded only by the suites that boot real VMs.
    STRATUS_GUEST_IMAGE: 'false',
    STRATUS_ADMIN_PASSWORD: adminPassword, STRATUS_LOG_LEVEL: opts.logLevel ?? 'warn', ...opts.env,
    // Every CLI call authenticates: the cheapest scrypt cost the option allows keeps CPU for the CLI itself.
    STRATUS_IDENTITY_PASSWORD_HASH_LOG2N: '10',
  };
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/cmd/stratus.ts', 'up'], {
    cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  // 'close' comes after the exit and after stdout and stderr ended, so the pipes have delivered everything by then.
  const exited = new Promise<number | null>((done) => child.once('close', (code) => { running.delete(child); done(code); }));
  const closeLog = async () => {
    await exited;
    await new Promise<void>((d) => log.end(d));
  };

  try {
    await waitForReady(child, logFile);
  } catch (err) {
    child.kill('SIGKILL');
    await closeLog();
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  const run = (args: string[], o: CliOptions = {}): Promise<CliResult> => {
    const cloud = o.cloud === undefined ? 'stratus' : o.cloud;
    const argv = cloud === null ? args : ['--os-cloud', cloud, ...args];
    return new Promise((done) => {
      execFile(OPENSTACK_CLI, argv, { env: cliEnv(cloudsYaml, o.env), timeout: CLI_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        // A cloud that died under the CLI is the real failure: say so, with the end of its console.
        const died = child.exitCode !== null || child.signalCode !== null
          ? `\n[stratus up is no longer running: exit ${child.exitCode ?? child.signalCode}; console tail:\n${tail(logFile, 40)}]` : '';
        done({ code, stdout: String(stdout), stderr: String(stderr) + died });
      });
    });
  };

  let stopping: Promise<void> | undefined;
  // A cloud bound to another address (a multi-host suite's veth) is reached there, as its catalog says.
  const publicHost = opts.env?.STRATUS_PUBLIC_HOST ?? '127.0.0.1';
  return {
    dataDir, port, ports, adminPassword, cloudsYaml, logFile,
    authUrl: `http://${publicHost}:${port}/v3`,
    openstack: run,
    async ok(args, o) {
      const r = await run(args, o);
      assert.equal(r.code, 0, `openstack ${args.join(' ')} failed: ${r.stderr.trim()}`);
      return r;
    },
    async fails(args, why, o) {
      const r = await run(args, o);
      assert.notEqual(r.code, 0, `openstack ${args.join(' ')} should have failed; stdout: ${r.stdout.trim()}`);
      assert.match(r.stderr, why);
      return r;
    },
    async openstackJson<T>(args: string[], o?: CliOptions): Promise<T> {
      const r = await run([...args, '-f', 'json'], o);
      if (r.code !== 0) throw new Error(`openstack ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
      return JSON.parse(r.stdout) as T;
    },
    addCloud(name, auth) {
      const doc = parse(readFileSync(cloudsYaml, 'utf8')) as { clouds: Record<string, Record<string, unknown>> };
      const base = { auth_url: `http://${publicHost}:${port}/v3` };
      doc.clouds[name] = 'username' in auth
        ? {
          auth: { ...base, username: auth.username, password: auth.password, user_domain_name: 'Default', project_id: auth.projectId },
          region_name: 'RegionOne', identity_api_version: 3,
        }
        : {
          auth_type: 'v3applicationcredential',
          auth: { ...base, application_credential_id: auth.applicationCredentialId, application_credential_secret: auth.applicationCredentialSecret },
          region_name: 'RegionOne', identity_api_version: 3,
        };
      const tmp = `${cloudsYaml}.tmp-${process.pid}`;
      writeFileSync(tmp, stringify(doc), { mode: 0o600 });
      renameSync(tmp, cloudsYaml);
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        const code = await exited;
        clearTimeout(timer);
        await closeLog();
        if (code !== 0) throw new Error(`stratus up exited with ${code ?? child.signalCode} on SIGTERM, not 0; log tail:\n${tail(logFile)}`);
      })();
      return stopping;
    },
  };
}

/**
 * The log files under a data directory (logs/ and any *.log) and which of the given secrets each holds.
 * Secrets are reported by label, never by value, so a failing assertion does not print them.
 */
export function secretsInLogs(dataDir: string, secrets: Map<string, string>): { files: string[]; bytes: number; leaks: string[] } {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && (entry.name.endsWith('.log') || relative(dataDir, path).startsWith(`logs/`))) files.push(path);
    }
  };
  walk(dataDir);
  let bytes = 0;
  const leaks: string[] = [];
  for (const file of files) {
    bytes += statSync(file).size;
    const text = readFileSync(file, 'utf8');
    for (const [label, value] of secrets) if (text.includes(value)) leaks.push(`${relative(dataDir, file)}: ${label}`);
  }
  return { files, bytes, leaks };
}
