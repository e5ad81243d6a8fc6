// What the metadata documents are built from: the instance, its key pair and volumes from Compute's database (as
// nova-api-metadata reads them) and its ports, subnets and floating IPs from Networking with Compute's own token.
// Cached per instance for a few seconds, because cloud-init asks for dozens of paths in a row.
import { ServiceUnavailable } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { NetworkClient } from '#services/network/contract/client.ts';
import type { Instance } from '../domain/instance.ts';
import type { GuestNetwork, MetadataKeyPair } from '../domain/instance-metadata.ts';
import { guestNetworkOf } from '../domain/guest-network.ts';
import type { ComputeDb } from '../db/tables.ts';
import { getInstance } from '../db/instances-repo.ts';
import { getKeyPair } from '../db/keypairs-repo.ts';
import { listBdms } from '../db/bdm-repo.ts';

export interface InstanceRecord {
  instance: Instance;
  network: GuestNetwork;
  keyPair: MetadataKeyPair | null;
  volumeDevices: string[];
}

export interface InstanceSourceDeps {
  db: ComputeDb;
  /** Networking's client (from the catalog); undefined when the cloud has none. */
  network(): Promise<NetworkClient | undefined>;
  log: Logger;
  /** How long a record is reused (0: never cached). */
  cacheTtlMs: number;
  /** Records kept at most; the oldest go first. */
  maxCached?: number;
  /** Milliseconds now (tests pass their own clock). */
  now?: () => number;
}

export interface InstanceSource {
  /** The instance's record, or undefined when it does not exist or is deleted. 503 when Networking cannot answer. */
  get(instanceId: string): Promise<InstanceRecord | undefined>;
}

export function createInstanceSource(deps: InstanceSourceDeps): InstanceSource {
  const maxCached = deps.maxCached ?? 1000;
  const clock = deps.now ?? Date.now;
  const cache = new Map<string, { expiresAt: number; record: Promise<InstanceRecord | undefined> }>();

  async function load(instanceId: string): Promise<InstanceRecord | undefined> {
    const instance = await getInstance(deps.db, instanceId);
    if (!instance) return undefined;
    const [keyRow, bdms] = await Promise.all([
      instance.keyName ? getKeyPair(deps.db, instance.userId, instance.keyName) : undefined,
      listBdms(deps.db, [instance.uuid]),
    ]);
    let network: GuestNetwork;
    try {
      network = await guestNetworkOf(await deps.network(), instance.uuid);
    } catch (err) {
      deps.log.error({ err, instance: instanceId }, 'metadata: Networking did not describe the instance\'s ports');
      throw new ServiceUnavailable('An unknown error has occurred. Please try your request again.');
    }
    return {
      instance, network, volumeDevices: bdms.map((b) => b.device_name),
      keyPair: keyRow ? { name: keyRow.name, type: keyRow.type, publicKey: keyRow.public_key } : null,
    };
  }

  function remember(instanceId: string, record: Promise<InstanceRecord | undefined>): void {
    const now = clock();
    if (cache.size >= maxCached) {
      for (const [id, entry] of cache) if (entry.expiresAt <= now) cache.delete(id);
      while (cache.size >= maxCached) cache.delete(cache.keys().next().value!);
    }
    cache.set(instanceId, { expiresAt: now + deps.cacheTtlMs, record });
    // Only what exists is reused: a miss or a failure is asked again next time.
    const forget = () => { if (cache.get(instanceId)?.record === record) cache.delete(instanceId); };
    record.then((r) => { if (!r) forget(); }, forget);
  }

  return {
    get(instanceId) {
      const hit = cache.get(instanceId);
      if (hit && hit.expiresAt > clock()) return hit.record;
      const record = load(instanceId);
      if (deps.cacheTtlMs > 0) remember(instanceId, record);
      return record;
    },
  };
}
