// Test fixture: the networking API in process on 127.0.0.1:0 with a temp SQLite database and a private in-process
// bus, authenticating against a real Identity started in process, with an admin and three users to act as.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { callJson } from '#lib/test-http.ts';
import type { CallOptions, Reply } from '#lib/test-http.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { createMemoryBus } from '#lib/bus/index.ts';
import type { Bus, Notification } from '#lib/bus/index.ts';
import { startTestIdentity } from '#services/identity/test-identity-personas.ts';
import type { Persona, PersonaName } from '#services/identity/test-identity-personas.ts';
import { createNetworkApi, networkOptions } from '../roles.ts';
import type { NetworkApi } from '../roles.ts';

export type { Reply } from '#lib/test-http.ts';

export type { CallOptions } from '#lib/test-http.ts';

export type { Persona, PersonaName };

export interface TestNetwork {
  api: NetworkApi;
  /** The in-process bus the API publishes on (agents under test join it). */
  bus: Bus;
  url: string;
  dir: string;
  as: Record<PersonaName, Persona>;
  /** A token of the `neutron` service user (role `service`), standing in for another service's own token. */
  serviceToken(): Promise<string>;
  /** Notifications published so far. */
  notifications: Notification[];
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  /** POSTs `{resource: body}` to /v2.0/<collection> as `who`, asserts 201 and returns the resource. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Reply.body
  create(who: Persona, collection: string, resource: string, body: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

export async function startNetwork(options: Record<string, unknown> = {}): Promise<TestNetwork> {
  const dir = mkdtempSync(join(tmpdir(), 'network-api-'));
  const { identity, authUrl, servicePasswords, as } = await startTestIdentity(dir, ['neutron']);
  const bus = createMemoryBus({});
  const notifications: Notification[] = [];
  await bus.onNotification('test', (n) => { notifications.push(n); });
  const api = await createNetworkApi({
    options: resolveOptions('network', networkOptions, options, {}), databaseUrl: `sqlite://${dir}/network.sqlite`,
    authUrl, servicePassword: servicePasswords.neutron, log: silentLogger(), bus, host: 'test-host',
  });
  const url = await api.listen('127.0.0.1', 0);

  const call = (method: string, path: string, opts: CallOptions = {}): Promise<Reply> => callJson(url, method, path, opts);

  return {
    api, bus, url, dir, as, notifications, call,
    async serviceToken() {
      const res = await fetch(`${authUrl}/auth/tokens`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth: {
          identity: { methods: ['password'], password: { user: { name: 'neutron', domain: { id: 'default' }, password: servicePasswords.neutron } } },
          scope: { project: { name: 'service', domain: { id: 'default' } } },
        } }),
      });
      if (res.status !== 201) throw new Error(`service login failed: ${res.status} ${await res.text()}`);
      return res.headers.get('x-subject-token')!;
    },
    async create(who, collection, resource, body) {
      const r = await call('POST', `/v2.0/${collection}`, { token: who.token, body: { [resource]: body } });
      if (r.status !== 201) throw new Error(`create ${resource} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body[resource];
    },
    async close() {
      await api.close();
      await bus.close();
      await identity.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
