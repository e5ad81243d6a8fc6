// The metadata proxy's haproxy configuration.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { metadataProxyConfig } from './metadata-proxy-config.ts';

const settings = { owner: { kind: 'router' as const, id: 'r1' }, bindAddress: '0.0.0.0', port: 9697, socketPath: '/s/metadata_proxy', pidFile: '/s/pid' };

describe('metadata proxy configuration', () => {
  it('drops identity headers the guest sent and sets the router id and the real source address', () => {
    const lines = metadataProxyConfig(settings).split('\n').map((l) => l.trim());
    assert.ok(lines.includes('bind 0.0.0.0:9697') && lines.includes('server metadata /s/metadata_proxy') && lines.includes('pidfile /s/pid'));
    for (const h of ['X-Neutron-Router-ID', 'X-Neutron-Network-ID', 'X-Instance-ID']) assert.ok(lines.indexOf(`http-request del-header ${h}`) >= 0, h);
    assert.ok(lines.indexOf('http-request set-header X-Neutron-Router-ID r1') > lines.indexOf('http-request del-header X-Neutron-Router-ID'));
    assert.ok(lines.includes('http-request set-header X-Forwarded-For %[src]'));
  });
  it('names the network for an isolated network\'s proxy', () => {
    assert.ok(metadataProxyConfig({ ...settings, owner: { kind: 'network', id: 'n1' } }).includes('set-header X-Neutron-Network-ID n1'));
  });
  it('refuses values that could break out of a configuration line', () => {
    assert.throws(() => metadataProxyConfig({ ...settings, socketPath: '/s/x\n    server evil 1.2.3.4:80' }), /characters/);
  });
});
