// `stratus trace SERVER`: one timeline of a server's boot (or any of its actions) across services — the Compute
// API's instance action events, joined by global request id with every HTTP request and bus message the services
// logged for it in <data>/logs/stratus.log — with each step's start and duration.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { DataDir } from './data-dir.ts';

interface Step {
  startMs: number;
  durationMs: number | null;
  source: string;
  what: string;
}

type Json = Record<string, unknown>;

const asTime = (t: string): number => Date.parse(t.endsWith('Z') ? t : `${t}Z`);

async function call(url: string, token: string | undefined, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { accept: 'application/json', 'openstack-api-version': 'compute 2.60', ...(token ? { 'x-auth-token': token } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) as Json : {}, headers: res.headers };
}

/** The admin's token and the compute endpoint, with the credentials `stratus up` wrote to clouds.yaml. */
async function login(data: DataDir): Promise<{ token: string; compute: string }> {
  const file = join(data.root, 'clouds.yaml');
  if (!existsSync(file)) throw new Error(`${file} does not exist: run stratus up first (or set STRATUS_DATA_DIR)`);
  const auth = (parse(readFileSync(file, 'utf8')) as { clouds: { stratus: { auth: Record<string, string> } } }).clouds.stratus.auth;
  const res = await call(`${auth.auth_url.replace(/\/+$/, '')}/auth/tokens`, undefined, { method: 'POST', body: { auth: {
    identity: { methods: ['password'], password: { user: { name: auth.username, domain: { name: auth.user_domain_name }, password: auth.password } } },
    scope: { project: { name: auth.project_name, domain: { name: auth.project_domain_name } } },
  } } });
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(`Identity refused the admin credentials (${res.status})`);
  const catalog = (res.body.token as { catalog: { type: string; endpoints: { interface: string; url: string }[] }[] }).catalog;
  const compute = catalog.find((s) => s.type === 'compute')?.endpoints.find((e) => e.interface === 'public')?.url;
  if (!compute) throw new Error('The catalog has no compute endpoint.');
  return { token, compute };
}

async function findServer(compute: string, token: string, ref: string): Promise<Json> {
  const direct = await call(`${compute}/servers/${encodeURIComponent(ref)}`, token);
  if (direct.status === 200) return direct.body.server as Json;
  const named = await call(`${compute}/servers/detail?all_tenants=1&name=${encodeURIComponent(`^${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)}`, token);
  const servers = (named.body.servers ?? []) as Json[];
  if (servers.length === 1) return servers[0];
  throw new Error(servers.length ? `More than one server is named ${ref}; give its id.` : `No server ${ref}.`);
}

/** The lines of the log file that belong to a request, as steps. */
function logSteps(file: string, requestId: string): Step[] {
  if (!existsSync(file)) return [];
  const steps: Step[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes(requestId)) continue;
    let entry: Json;
    try { entry = JSON.parse(line) as Json; } catch { continue; }
    if (entry.globalRequestId !== requestId && entry.requestId !== requestId) continue;
    const ms = typeof entry.ms === 'number' ? entry.ms : null;
    const end = Number(entry.time);
    if (entry.msg === 'request') {
      steps.push({ startMs: end - (ms ?? 0), durationMs: ms, source: String(entry.service ?? 'http'), what: `${entry.method} ${entry.url} → ${entry.status}` });
    } else if (entry.msg === 'rpc call' || entry.msg === 'rpc cast') {
      steps.push({ startMs: end - (ms ?? 0), durationMs: entry.msg === 'rpc call' ? ms : null, source: `bus ${entry.topic}`, what: `${entry.msg === 'rpc call' ? 'call' : 'cast'} ${entry.method}` });
    }
  }
  return steps;
}

export async function traceServer(data: DataDir, ref: string, opts: { action?: string } = {}): Promise<string> {
  const { token, compute } = await login(data);
  const server = await findServer(compute, token, ref);
  const id = String(server.id);
  const actions = ((await call(`${compute}/servers/${id}/os-instance-actions`, token)).body.instanceActions ?? []) as Json[];
  const wanted = opts.action ?? 'create';
  const action = [...actions].reverse().find((a) => a.action === wanted) ?? actions.at(-1);
  if (!action) throw new Error(`Server ${id} has no recorded actions.`);
  const requestId = String(action.request_id);
  const detail = (await call(`${compute}/servers/${id}/os-instance-actions/${requestId}`, token)).body.instanceAction as Json;
  const events = (detail.events ?? []) as Json[];
  const steps: Step[] = events.map((e) => {
    const start = asTime(String(e.start_time));
    const end = e.finish_time ? asTime(String(e.finish_time)) : null;
    return { startMs: start, durationMs: end === null ? null : end - start, source: `event${e.host ? ` @${e.host}` : ''}`, what: `${e.event} (${e.result ?? 'running'})` };
  });
  steps.push(...logSteps(join(data.logsDir, 'stratus.log'), requestId));
  steps.sort((a, b) => a.startMs - b.startMs);
  const t0 = Math.min(asTime(String(action.start_time)), ...steps.map((s) => s.startMs));
  const end = Math.max(...steps.map((s) => s.startMs + (s.durationMs ?? 0)));
  const lines = [
    `server ${server.name} (${id}) — action ${action.action}, request ${requestId}, started ${new Date(t0).toISOString()}`,
    `status now ${server.status}${server.fault ? `, fault: ${(server.fault as Json).message}` : ''}`,
    '',
    '      start   duration  where                        what',
    ...steps.map((s) => `${`+${(s.startMs - t0).toFixed(1)}`.padStart(9)} ms ${(s.durationMs === null ? '' : `${s.durationMs.toFixed(1)} ms`).padStart(10)}  ${s.source.padEnd(28)} ${s.what}`),
    '',
    `${steps.length} steps over ${(end - t0).toFixed(1)} ms${existsSync(join(data.logsDir, 'stratus.log')) ? '' : ' (no log file: only the instance action events are shown)'}`,
  ];
  return `${lines.join('\n')}\n`;
}
