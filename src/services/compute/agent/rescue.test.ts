// The agent's rescue pieces that the API tests do not reach: the rescue config drive carrying the password, and a
// rescue or unrescue cut off by an agent restart, which must end with the guest on its own disk and no task state.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '#lib/log.ts';
import type { RpcClient } from '#lib/bus/index.ts';
import type { PlacementClient } from '#services/placement/contract/client.ts';
import type { ConductorMethods } from '../rpc/conductor-rpc.ts';
import type { Instance } from '../domain/instance.ts';
import { createFakeDriver } from './drivers/fake/fake-driver.ts';
import type { RescueImage } from './drivers/hypervisor-driver.ts';
import { recoverInterrupted } from './recover.ts';
import { withAdminPass } from './rescue.ts';
import type { AgentDeps } from './agent-deps.ts';

describe('agent rescue', () => {
  it('puts the rescue password into every OpenStack meta_data.json of the config drive, and only there', () => {
    const files = withAdminPass({
      'openstack/latest/meta_data.json': '{"uuid":"u1"}', 'openstack/2012-08-10/meta_data.json': '{"uuid":"u1"}',
      'openstack/latest/network_data.json': '{}', 'ec2/latest/meta-data.json': '{"instance-id":"i-1"}',
    }, 's3cret');
    assert.deepEqual(JSON.parse(String(files['openstack/latest/meta_data.json'])), { uuid: 'u1', admin_pass: 's3cret' });
    assert.deepEqual(JSON.parse(String(files['openstack/2012-08-10/meta_data.json'])), { uuid: 'u1', admin_pass: 's3cret' });
    assert.equal(files['openstack/latest/network_data.json'], '{}');
    assert.equal(files['ec2/latest/meta-data.json'], '{"instance-id":"i-1"}');
  });

  it('after a restart, finishes an interrupted unrescue and undoes an interrupted rescue into ERROR, both on their own disk', async () => {
    const updates: Record<string, unknown>[] = [];
    const servers = [{ uuid: 'was-rescuing', vmState: 'active', taskState: 'rescuing' }, { uuid: 'was-unrescuing', vmState: 'rescued', taskState: 'unrescuing' }];
    const conductor = {
      call: async (method: string, args: Record<string, unknown>) => {
        if (method === 'instance_update') updates.push(args);
        return method === 'host_instances' ? servers as Instance[] : null;
      },
    } as unknown as RpcClient<ConductorMethods>;
    const driver = createFakeDriver({ nodeName: 'h1', vcpus: 1, memoryMb: 1, localGb: 1 });
    const image = { id: 'img-1', properties: {} } as unknown as RescueImage;
    for (const s of servers) {
      await driver.spawn({ guest: { uuid: s.uuid, name: s.uuid, nics: [], image: { id: 'img-0', diskFormat: 'raw', size: 1, properties: {} } } as never });
      await driver.rescue!({ uuid: s.uuid, image, rescuePassword: 'pw' });
    }
    const deps: AgentDeps = {
      host: 'h1', driver, conductor, agents: {} as AgentDeps['agents'], placement: {} as PlacementClient, image: async () => undefined,
      network: async () => undefined, volumes: async () => undefined, configDrive: { force: false, dhcpDomain: '' }, serviceToken: async () => 't', log: silentLogger(),
    };
    assert.equal(await recoverInterrupted(deps, { requestId: 'r', globalRequestId: 'g' }), 2);
    assert.equal(driver.rescued('was-rescuing'), undefined);
    assert.equal(driver.rescued('was-unrescuing'), undefined);
    const rescuing = updates.find((u) => u.uuid === 'was-rescuing')!;
    assert.deepEqual(rescuing.expectedTaskState, ['rescuing']);
    const patch = rescuing.patch as { vmState: string; taskState: null; fault: { message: string } };
    assert.equal(patch.vmState, 'error');
    assert.equal(patch.taskState, null);
    assert.match(patch.fault.message, /rescue was interrupted by a restart of its compute agent/);
    const unrescuing = updates.find((u) => u.uuid === 'was-unrescuing')!;
    assert.deepEqual(unrescuing.patch, { vmState: 'active', taskState: null, powerState: 1 });
  });
});
