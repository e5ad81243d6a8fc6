import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { negotiateMicroversion, microversionHeaders } from './microversion.ts';
import type { StratusError } from '../errors.ts';

const range = { serviceType: 'compute', legacyHeader: 'x-openstack-nova-api-version', min: { major: 2, minor: 1 }, max: { major: 2, minor: 96 } };

describe('microversion negotiation', () => {
  it('defaults to the minimum when the client asks for nothing', () => {
    assert.deepEqual(negotiateMicroversion({}, range), { major: 2, minor: 1 });
  });
  it('reads OpenStack-API-Version for its own service type among several', () => {
    assert.deepEqual(negotiateMicroversion({ 'openstack-api-version': 'volume 3.5, compute 2.53' }, range), { major: 2, minor: 53 });
  });
  it('falls back to the legacy header and understands latest', () => {
    assert.deepEqual(negotiateMicroversion({ 'x-openstack-nova-api-version': 'latest' }, range), { major: 2, minor: 96 });
  });
  it('answers 406 out of range and 400 when malformed', () => {
    assert.throws(() => negotiateMicroversion({ 'openstack-api-version': 'compute 2.97' }, range), (e: StratusError) => e.status === 406 && /maximum is 2.96/.test(e.message));
    assert.throws(() => negotiateMicroversion({ 'openstack-api-version': 'compute 2.x' }, range), (e: StratusError) => e.status === 400);
  });
  it('echoes the version in both headers with Vary', () => {
    const h = microversionHeaders(range, { major: 2, minor: 10 });
    assert.equal(h['openstack-api-version'], 'compute 2.10');
    assert.equal(h['x-openstack-nova-api-version'], '2.10');
    assert.match(h.vary, /OpenStack-API-Version/);
  });
});
