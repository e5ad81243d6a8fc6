// Placement as the openstack CLI's placement plugin (python3-osc-placement, Debian 12) sees it, against stratus up
// with the real Identity: providers, inventories, classes, traits, candidates, allocations and usages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { requireServers } from '#lib/test-servers.ts';
import { cliSkipReason, useCloud } from './harness.ts';
import type { CliOptions, CliResult } from './harness.ts';

const PLUGIN = '/usr/lib/python3/dist-packages/osc_placement';

/** Undefined when the suite can run; throws when servers are required and the plugin is missing. */
function pluginSkipReason(): string | undefined {
  const cli = cliSkipReason();
  if (cli || existsSync(PLUGIN)) return cli;
  if (requireServers) throw new Error(`${PLUGIN} is required (STRATUS_REQUIRE_SERVERS=1) but missing: apt-get install python3-osc-placement`);
  return `${PLUGIN} is missing (apt-get install python3-osc-placement); set STRATUS_REQUIRE_SERVERS=1 to make this a failure`;
}

type Row = Record<string, unknown>;

describe('placement through the openstack CLI', { skip: pluginSkipReason() }, () => {
  const cloud = useCloud();

  const json = <T = Row>(args: string[]): Promise<T> => cloud().openstackJson<T>(args);
  const ok = (args: string[], opts?: CliOptions): Promise<CliResult> => cloud().ok(args, opts);
  const fails = (args: string[], why: RegExp, opts?: CliOptions): Promise<CliResult> => cloud().fails(args, why, opts);

  it('finds Placement in the catalog and negotiates a microversion with it', async () => {
    const services = await json<Row[]>(['catalog', 'list']);
    const placement = services.find((s) => s.Type === 'placement');
    assert.ok(placement, JSON.stringify(services));
    assert.equal(placement.Name, 'placement');
    const providers = await json<Row[]>(['--os-placement-api-version', '1.39', 'resource provider', 'list']);
    assert.ok(Array.isArray(providers));
  });

  it('creates, lists, shows and nests resource providers', async () => {
    const host = await json(['resource provider', 'create', 'cli-host']);
    assert.match(String(host.uuid), /^[0-9a-f-]{36}$/);
    assert.equal(host.name, 'cli-host');
    assert.equal(host.generation, 0);
    assert.equal(host.root_provider_uuid, host.uuid);
    const numa = await json(['resource provider', 'create', 'cli-host-numa0', '--parent-provider', String(host.uuid)]);
    assert.equal(numa.parent_provider_uuid, host.uuid);
    assert.equal(numa.root_provider_uuid, host.uuid);

    const listed = await json<Row[]>(['resource provider', 'list', '--name', 'cli-host']);
    assert.deepEqual(listed.map((p) => p.uuid), [host.uuid]);
    const tree = await json<Row[]>(['resource provider', 'list', '--in-tree', String(numa.uuid)]);
    assert.deepEqual(tree.map((p) => p.name).sort(), ['cli-host', 'cli-host-numa0']);
    const shown = await json(['resource provider', 'show', String(host.uuid)]);
    assert.equal(shown.name, 'cli-host');
    await fails(['resource provider', 'create', 'cli-host'], /Conflicting resource provider name: cli-host already exists/);
    await fails(['resource provider', 'show', randomUUID()], /No resource provider with uuid .* found/);
  });

  it('sets and lists inventories, and lists classes and traits', async () => {
    const [host] = await json<Row[]>(['resource provider', 'list', '--name', 'cli-host']);
    const uuid = String(host.uuid);
    const set = await json<Row[]>(['resource provider', 'inventory', 'set', uuid,
      '--resource', 'VCPU=8', '--resource', 'VCPU:allocation_ratio=2.0', '--resource', 'MEMORY_MB=4096', '--resource', 'MEMORY_MB:reserved=512',
      '--resource', 'DISK_GB=100']);
    assert.deepEqual(set.map((r) => r.resource_class).sort(), ['DISK_GB', 'MEMORY_MB', 'VCPU']);
    const listed = await json<Row[]>(['resource provider', 'inventory', 'list', uuid]);
    const vcpu = listed.find((r) => r.resource_class === 'VCPU')!;
    assert.equal(vcpu.total, 8);
    assert.equal(vcpu.allocation_ratio, 2);
    assert.equal(listed.find((r) => r.resource_class === 'MEMORY_MB')!.reserved, 512);
    await fails(['resource provider', 'inventory', 'set', uuid, '--resource', 'VCPU=-1'], /less than the minimum of 1/);
    await fails(['resource provider', 'inventory', 'set', uuid, '--resource', 'CUSTOM_NOPE=1'], /No such resource class CUSTOM_NOPE/);

    const classes = await json<Row[]>(['resource class', 'list']);
    assert.ok(['VCPU', 'MEMORY_MB', 'DISK_GB', 'PCI_DEVICE', 'VGPU'].every((n) => classes.some((c) => c.name === n)));
    await ok(['resource class', 'create', 'CUSTOM_CLI_FPGA']);
    assert.ok((await json<Row[]>(['resource class', 'list'])).some((c) => c.name === 'CUSTOM_CLI_FPGA'));

    const traits = await json<Row[]>(['trait', 'list']);
    assert.ok(traits.some((t) => t.name === 'HW_CPU_X86_AVX2') && traits.some((t) => t.name === 'COMPUTE_STATUS_DISABLED'));
    await ok(['trait', 'create', 'CUSTOM_CLI_GOLD']);
    const rpTraits = await json<Row[]>(['resource provider', 'trait', 'set', uuid, '--trait', 'CUSTOM_CLI_GOLD', '--trait', 'HW_CPU_X86_AVX2']);
    assert.deepEqual(rpTraits.map((t) => t.name).sort(), ['CUSTOM_CLI_GOLD', 'HW_CPU_X86_AVX2']);
  });

  it('lists allocation candidates, claims one, and shows the usage it adds', async () => {
    const [host] = await json<Row[]>(['resource provider', 'list', '--name', 'cli-host']);
    const uuid = String(host.uuid);
    const candidates = await json<Row[]>(['allocation candidate', 'list', '--resource', 'VCPU=2', '--resource', 'MEMORY_MB=512', '--required', 'CUSTOM_CLI_GOLD']);
    assert.equal(candidates.length, 1, JSON.stringify(candidates));
    assert.equal(candidates[0]['resource provider'], uuid);
    assert.match(String(candidates[0]['inventory used/capacity']), /VCPU=0\/16/);
    assert.deepEqual(await json<Row[]>(['allocation candidate', 'list', '--resource', 'VCPU=17']), []);

    const consumer = randomUUID();
    const project = randomUUID();
    await ok(['resource provider', 'allocation', 'set', consumer, '--allocation', `rp=${uuid},VCPU=2,MEMORY_MB=512`, '--project-id', project, '--user-id', randomUUID()]);
    const allocation = await json<Row[]>(['resource provider', 'allocation', 'show', consumer]);
    assert.equal(allocation[0].resource_provider, uuid);
    const usage = await json<Row[]>(['resource provider', 'usage', 'show', uuid]);
    assert.equal(usage.find((u) => u.resource_class === 'VCPU')!.usage, 2);
    const projectUsage = await json<Row[]>(['resource', 'usage', 'show', project]);
    assert.equal(projectUsage.find((u) => u.resource_class === 'MEMORY_MB')!.usage, 512);
    await fails(['resource provider', 'allocation', 'set', randomUUID(), '--allocation', `rp=${uuid},VCPU=15`, '--project-id', project, '--user-id', 'u'],
      /exceed the capacity/);

    await fails(['resource provider', 'delete', uuid], /It has child resource providers/);
    const [numa] = await json<Row[]>(['resource provider', 'list', '--name', 'cli-host-numa0']);
    await ok(['resource provider', 'delete', String(numa.uuid)]);
    await fails(['resource provider', 'delete', uuid], /has allocations/);
    await fails(['resource provider', 'inventory', 'delete', uuid, '--resource-class', 'VCPU'], /in use/);
    await ok(['resource provider', 'allocation', 'delete', consumer]);
    await ok(['resource provider', 'delete', uuid]);
    assert.deepEqual(await json<Row[]>(['resource provider', 'list', '--name', 'cli-host']), []);
  });
});
