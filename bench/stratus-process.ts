// Starts `stratus up` as a child process on a temp data dir and a free port, as an operator would, for the bench to load.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');

export interface AdminAuth {
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
}

export interface StratusProcess {
  /** Base URL of the Identity endpoint, without /v3. */
  url: string;
  admin: AdminAuth;
  pid: number;
  /** SIGTERM, wait for a clean exit (which is when --cpu-prof writes its file), then remove the temp data dir. */
  stop(): Promise<void>;
}

/** Asks the kernel for a free port on loopback. Another process could take it before Stratus binds; then startup fails loudly. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}

/** Waits for a line on a child's stdout; rejects if the child exits first or the timeout passes. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`no ${pattern} within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => { err += d; });
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
      const m = pattern.exec(out);
      if (m) { clearTimeout(timer); ok(m); }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`exited (${code ?? signal}) before ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
    });
  });
}

/** Sends SIGTERM and waits for exit; SIGKILL after the grace period. Idempotent. */
export function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(kill); ok(); });
    child.kill('SIGTERM');
  });
}

/**
 * Starts `stratus up` with a fresh temp data dir; `env` adds options (e.g. the hash cost), `nodeArgs` adds Node flags
 * (e.g. --cpu-prof). The caller must call stop().
 */
export async function startStratus(opts: { env?: Record<string, string>; nodeArgs?: string[]; logLevel?: string } = {}): Promise<StratusProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stratus-bench-'));
  const port = await freePort();
  // A clean environment for Stratus's own options, so a developer's STRATUS_* exports cannot change what is measured.
  const env: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('STRATUS_') && v !== undefined)) as Record<string, string>;
  Object.assign(env, {
    STRATUS_DATA_DIR: dataDir,
    STRATUS_IDENTITY_PORT: String(port),
    STRATUS_LOG_LEVEL: opts.logLevel ?? 'warn',
    ...opts.env,
  });
  const child = spawn(process.execPath, [
    '--disable-warning=ExperimentalWarning', ...(opts.nodeArgs ?? []), join(ROOT, 'src/cmd/stratus.ts'), 'up',
  ], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const cleanup = async () => {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForOutput(child, /Stratus is ready/, 60_000);
    const cloud = (parse(readFileSync(join(dataDir, 'clouds.yaml'), 'utf8')) as { clouds: Record<string, { auth: Record<string, string> }> }).clouds.stratus.auth;
    const admin: AdminAuth = {
      authUrl: cloud.auth_url, username: cloud.username, password: cloud.password, projectName: cloud.project_name,
      userDomainName: cloud.user_domain_name, projectDomainName: cloud.project_domain_name,
    };
    // Keep draining the pipes so a chatty child never blocks on a full pipe during a run.
    child.stdout?.resume();
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[stratus ${child.pid}] ${d}`));
    return { url: `http://127.0.0.1:${port}`, admin, pid: child.pid!, stop: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The JSON body of a project-scoped password token request, as `openstack token issue` sends it. */
export function passwordAuthBody(a: AdminAuth): string {
  return JSON.stringify({
    auth: {
      identity: { methods: ['password'], password: { user: { name: a.username, domain: { name: a.userDomainName }, password: a.password } } },
      scope: { project: { name: a.projectName, domain: { name: a.projectDomainName } } },
    },
  });
}

/** Issues one project-scoped token; throws with the response body if Identity refuses. */
export async function issueToken(url: string, admin: AdminAuth): Promise<string> {
  const res = await fetch(`${url}/v3/auth/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: passwordAuthBody(admin) });
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(`token issue failed: ${res.status} ${await res.text()}`);
  return token;
}
