// The scheduler's filters and weigher: zone, thin over-subscription, backend name, same-host sources, most free wins.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendCapabilities } from '../domain/models.ts';
import { consume, selectBackend, virtualFreeGb } from './select-backend.ts';

const backend = (host: string, over: Partial<BackendCapabilities> = {}): BackendCapabilities => ({
  host, pool: 'p', backendName: 'file', availabilityZone: 'nova', totalCapacityGb: 100, freeCapacityGb: 50, provisionedCapacityGb: 0,
  thinProvisioning: false, maxOverSubscriptionRatio: 1, timestamp: new Date().toISOString(), ...over,
});

describe('select-backend', () => {
  it('picks the backend with the most free space among those passing every filter', () => {
    const all = [backend('a@x', { freeCapacityGb: 10 }), backend('b@x', { freeCapacityGb: 40 }), backend('c@x', { freeCapacityGb: 90, availabilityZone: 'other' })];
    assert.equal(selectBackend(all, { sizeGb: 5, extraSpecs: {}, availabilityZone: 'nova' })?.host, 'b@x');
    assert.equal(selectBackend(all, { sizeGb: 5, extraSpecs: {} })?.host, 'c@x');
    assert.equal(selectBackend(all, { sizeGb: 50, extraSpecs: {}, availabilityZone: 'nova' }), undefined);
    assert.equal(selectBackend(all, { sizeGb: 1, extraSpecs: { volume_backend_name: 'lvm' } }), undefined);
    assert.equal(selectBackend(all, { sizeGb: 1, extraSpecs: {}, requiredHost: 'a@x' })?.host, 'a@x');
  });

  it('lets thin backends oversubscribe up to the ratio, and counts what it placed until the next report', () => {
    const thin = backend('t@x', { thinProvisioning: true, maxOverSubscriptionRatio: 20, totalCapacityGb: 10, freeCapacityGb: 8, provisionedCapacityGb: 150 });
    assert.equal(virtualFreeGb(thin), 50);
    assert.equal(selectBackend([thin], { sizeGb: 50, extraSpecs: {} })?.host, 't@x');
    assert.equal(selectBackend([thin], { sizeGb: 51, extraSpecs: {} }), undefined);
    assert.equal(virtualFreeGb(consume(thin, 30)), 20);
    assert.equal(consume(backend('k@x'), 30).freeCapacityGb, 20);
  });
});
