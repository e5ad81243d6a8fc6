// The object-store backup store: objects in Object Storage (Swift v1) in the backup owner's account, reached over REST
// with the user's token, as Cinder's swift backup driver does. The container is created on first write.
import type { BackupStore } from './backup-store.ts';

const TIMEOUT_MS = 120_000;

export interface SwiftAccess {
  /** The account URL, `…/v1/AUTH_<project>`. */
  accountUrl: string;
  token: string;
}

async function answer(res: Response, what: string, expected: number[]): Promise<Response> {
  if (expected.includes(res.status)) return res;
  throw new Error(`Object Storage could not ${what}: it answered ${res.status} ${(await res.text()).slice(0, 300)}`);
}

export function createSwiftBackupStore(access: SwiftAccess): BackupStore {
  const base = access.accountUrl.replace(/\/+$/, '');
  const objectUrl = (container: string, name: string) => `${base}/${encodeURIComponent(container)}/${name.split('/').map(encodeURIComponent).join('/')}`;
  const send = (method: string, url: string, body?: Buffer) => fetch(url, {
    method, body, headers: { 'x-auth-token': access.token, ...(body ? { 'content-type': 'application/octet-stream' } : {}) }, signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const ensured = new Set<string>();
  return {
    async put(container, name, data) {
      if (!ensured.has(container)) {
        await answer(await send('PUT', `${base}/${encodeURIComponent(container)}`), `create container ${container}`, [201, 202]);
        ensured.add(container);
      }
      // A Swift PUT is atomic: an interrupted one stores nothing.
      await answer(await send('PUT', objectUrl(container, name), data), `store ${container}/${name}`, [201]);
    },
    async get(container, name) {
      const res = await answer(await send('GET', objectUrl(container, name)), `read ${container}/${name}`, [200]);
      return Buffer.from(await res.arrayBuffer());
    },
    async list(container, prefix) {
      const names: string[] = [];
      // Swift lists at most 10,000 names a page: follow markers.
      for (let marker = ''; ;) {
        const res = await send('GET', `${base}/${encodeURIComponent(container)}?format=json&prefix=${encodeURIComponent(prefix)}&marker=${encodeURIComponent(marker)}`);
        if (res.status === 404) return names;
        const page = (await (await answer(res, `list ${container}`, [200, 204])).json().catch(() => [])) as { name: string }[];
        if (page.length === 0) return names;
        names.push(...page.map((o) => o.name));
        marker = page.at(-1)!.name;
      }
    },
    async delete(container, name) {
      (await answer(await send('DELETE', objectUrl(container, name)), `delete ${container}/${name}`, [204, 404])).body?.cancel();
    },
  };
}
