// The proxy's headers: a repeated or missing one is a 400, a wrong signature a 403, and the guest's address is the
// first X-Forwarded-For entry.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signInstanceId, verifyProxyHeaders } from './proxy-headers.ts';

const SECRET = 's3cret';
const signed = (id: string) => ({ 'x-instance-id': [id], 'x-tenant-id': ['p1'], 'x-instance-id-signature': [signInstanceId(id, SECRET)] });

describe('metadata proxy headers', () => {
  it('accepts a signed instance id and takes the guest address from the first X-Forwarded-For entry', () => {
    assert.deepEqual(verifyProxyHeaders({ ...signed('i-1'), 'x-forwarded-for': ['10.0.0.5, 192.168.1.1'] }, SECRET),
      { instanceId: 'i-1', tenantId: 'p1', guestAddress: '10.0.0.5' });
    assert.equal(verifyProxyHeaders(signed('i-1'), SECRET).guestAddress, undefined);
  });

  it('refuses repeated headers with 400 and a signature made with another secret or for another id with 403', () => {
    assert.throws(() => verifyProxyHeaders({ ...signed('i-1'), 'x-instance-id': ['i-1', 'i-2'] }, SECRET),
      (e: Error & { status?: number }) => e.status === 400 && /Multiple X-Instance-ID headers/.test(e.message));
    assert.throws(() => verifyProxyHeaders({ ...signed('i-1'), 'x-tenant-id': ['p1', 'p2'] }, SECRET), { status: 400 });
    assert.throws(() => verifyProxyHeaders({ ...signed('i-1'), 'x-instance-id-signature': [signInstanceId('i-1', 'other')] }, SECRET), { status: 403 });
    assert.throws(() => verifyProxyHeaders({ ...signed('i-1'), 'x-instance-id': ['i-2'] }, SECRET), { status: 403 });
    assert.throws(() => verifyProxyHeaders({ ...signed('i-1'), 'x-instance-id-signature': ['short'] }, SECRET), { status: 403 });
  });
});
