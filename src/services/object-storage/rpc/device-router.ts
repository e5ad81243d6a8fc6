// One object server and one replication endpoint over every device of the ring: this process's own devices go to the
// local (disk) implementation, the others to their storage node over HTTP. With no remote device (all-in-one), the
// local implementations are used as they are, without this indirection.
import type { ObjectServer } from './object-server.ts';
import type { ReplicationServer } from './object-replication.ts';

export function routeObjectServer(isLocal: (device: string) => boolean, local: ObjectServer, remote: ObjectServer): ObjectServer {
  const pick = (device: string) => (isLocal(device) ? local : remote);
  return {
    available: (device) => pick(device).available(device),
    put: (addr, opts, data) => pick(addr.device).put(addr, opts, data),
    head: (addr) => pick(addr.device).head(addr),
    get: (addr, opts) => pick(addr.device).get(addr, opts),
    post: (addr, opts) => pick(addr.device).post(addr, opts),
    delete: (addr, opts) => pick(addr.device).delete(addr, opts),
  };
}

export function routeReplicationServer(isLocal: (device: string) => boolean, local: ReplicationServer, remote: ReplicationServer): ReplicationServer {
  const pick = (device: string) => (isLocal(device) ? local : remote);
  return {
    available: (device) => pick(device).available(device),
    partitions: (device) => pick(device).partitions(device),
    suffixHashes: (device, partition, opts) => pick(device).suffixHashes(device, partition, opts),
    versions: (device, partition, suffixes) => pick(device).versions(device, partition, suffixes),
    readVersion: (device, partition, v, opts) => pick(device).readVersion(device, partition, v, opts),
    receive: (device, partition, files) => pick(device).receive(device, partition, files),
    drop: (device, partition, v) => pick(device).drop(device, partition, v),
  };
}
