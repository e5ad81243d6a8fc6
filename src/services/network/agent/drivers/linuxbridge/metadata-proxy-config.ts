// One namespace's metadata proxy configuration (haproxy), rendered without I/O: it listens where guests send
// 169.254.169.254 requests, replaces whatever identity headers the guest sent with the router's (or network's) id and
// the guest's real source address, and forwards to the network agent's metadata agent on a unix socket.
export interface MetadataProxySettings {
  /** What the proxy answers for: the router (requests from its interfaces) or an isolated network (its DHCP namespace). */
  owner: { kind: 'router' | 'network'; id: string };
  bindAddress: string;
  port: number;
  /** The metadata agent's unix socket. */
  socketPath: string;
  pidFile: string;
}

const SAFE = /^[A-Za-z0-9._:/-]+$/;

function checked(what: string, value: string): string {
  if (!SAFE.test(value)) throw new Error(`metadata proxy ${what} '${value}' has characters a haproxy configuration cannot take`);
  return value;
}

export function metadataProxyConfig(s: MetadataProxySettings): string {
  const header = s.owner.kind === 'router' ? 'X-Neutron-Router-ID' : 'X-Neutron-Network-ID';
  return [
    'global',
    '    daemon',
    `    pidfile ${checked('pid file', s.pidFile)}`,
    '    maxconn 1024',
    '',
    'defaults',
    '    mode http',
    '    option http-server-close',
    '    timeout connect 30s',
    '    timeout client 32s',
    '    timeout server 32s',
    '    timeout http-request 30s',
    '',
    'listen metadata',
    `    bind ${checked('address', s.bindAddress)}:${s.port}`,
    // The guest may send any header: only ours reach the metadata agent.
    '    http-request del-header X-Neutron-Router-ID',
    '    http-request del-header X-Neutron-Network-ID',
    '    http-request del-header X-Instance-ID',
    '    http-request del-header X-Instance-ID-Signature',
    '    http-request del-header X-Tenant-ID',
    `    http-request set-header ${header} ${checked('owner id', s.owner.id)}`,
    '    http-request set-header X-Forwarded-For %[src]',
    `    server metadata ${checked('socket', s.socketPath)}`,
    '',
  ].join('\n');
}
