// Flavor extra spec validation (microversion 2.86) through the API: known keys checked for type, range, enum and format,
// unknown keys refused only in Nova's namespaces, nothing stored from a refused request, and no checks below 2.86.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

describe('compute API: flavor extra spec validation (2.86)', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute(); });
  after(async () => { await c?.close(); });

  const base = '/v2.1/flavors/3/os-extra_specs';
  const post = (extra_specs: Record<string, unknown>, version = '2.86') =>
    c.call('POST', base, { token: c.as.admin.token, version, body: { extra_specs } });
  const put = (key: string, value: unknown, version = '2.86') =>
    c.call('PUT', `${base}/${key}`, { token: c.as.admin.token, version, body: { [key]: value } });
  const stored = async () => (await c.call('GET', base, { token: c.as.admin.token })).body.extra_specs as Record<string, string>;
  const refusal = (message: string) => ({ badRequest: { code: 400, message } });

  it('refuses bad values of known keys with Nova\'s messages', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ 'hw:cpu_policy': 'bogus' }, "Validation failed; 'bogus' is not one of: dedicated, shared, mixed."],
      [{ 'hw:watchdog_action': 'explode' }, "Validation failed; 'explode' is not one of: none, pause, poweroff, reset, disabled."],
      [{ 'hw:numa_nodes': 0 }, "Validation failed; '0' is less than the min value of '1'."],
      [{ 'hw:cpu_cores': 'two' }, "Validation failed; 'two' is not a valid integer value."],
      [{ 'hw:redirected_usb_ports': '16' }, "Validation failed; '16' is greater than the max value of '15'."],
      [{ 'hw:mem_page_size': 'huge' }, "Validation failed; 'huge' is not of the format '(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)'."],
      [{ 'hw_rng:allowed': 'maybe' }, "Validation failed; 'maybe' is not a valid boolean-like value."],
      [{ 'os:secure_boot': 'optional' }, "Validation failed; 'optional' is not one of: disabled, required."],
      [{ 'quota:disk_read_iops_sec': -5 }, "Validation failed; '-5' is less than the min value of '0'."],
      [{ 'resources:VCPU': 'many' }, "Validation failed; 'many' is not a valid integer value."],
      [{ 'trait:CUSTOM_GPU': 'preferred' }, "Validation failed; 'preferred' is not one of: required, forbidden."],
      [{ 'hw:cpu_polcy': 'dedicated' }, "Validation failed; extra spec 'hw:cpu_polcy' does not appear to be a valid extra spec."],
      [{ 'trait:lower_case': 'required' }, "Validation failed; extra spec 'trait:lower_case' does not appear to be a valid extra spec."],
    ];
    for (const [specs, message] of cases) {
      const r = await post(specs);
      assert.equal(r.status, 400, JSON.stringify(specs));
      assert.deepEqual(r.body, refusal(message));
    }
    assert.deepEqual(await stored(), {});
  });

  it('stores valid known keys and keys outside Nova\'s namespaces', async () => {
    const specs = {
      'hw:cpu_policy': 'dedicated', 'hw:cpu_sockets': '2', 'hw:cpu_cores': 2, 'hw:cpu_threads': '1', 'hw:mem_page_size': '2MiB',
      'hw:numa_nodes': '1', 'hw:numa_cpus.0': '0-3,^2', 'hw:numa_mem.0': '1024', 'hw:boot_menu': 'Yes', 'hw_rng:allowed': true,
      'os:secure_boot': 'required', 'quota:cpu_quota': '-1', 'resources:VCPU': '2', 'resources1:CUSTOM_FPGA': '1',
      'trait:HW_CPU_X86_AVX2': 'required', 'trait_fast:CUSTOM_SSD': 'forbidden', 'group_policy': 'isolate',
      'capabilities:cpu_info:features': '<in> aes', 'aggregate_instance_extra_specs:ssd': 'true',
      'custom:foo': 'anything', 'mykey': 'anything',
    };
    const r = await post(specs);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const all = await stored();
    assert.equal(all['hw:cpu_cores'], '2');
    assert.equal(all['custom:foo'], 'anything');
    assert.equal(Object.keys(all).length, Object.keys(specs).length);
  });

  it('refuses a whole request when one spec is bad, storing none of it', async () => {
    const r = await post({ 'hw:cpu_threads': '2', 'hw:numa_nodes': 'x', 'custom:bar': 'y' });
    assert.equal(r.status, 400);
    const all = await stored();
    assert.equal(all['hw:cpu_threads'], '1');
    assert.equal(all['custom:bar'], undefined);
  });

  it('validates an update by PUT, before the URI check and before the flavor is looked up', async () => {
    assert.deepEqual((await put('hw:cpu_policy', 'shared')).body, { 'hw:cpu_policy': 'shared' });
    const bad = await put('hw:cpu_policy', 'bogus');
    assert.deepEqual(bad.body, refusal("Validation failed; 'bogus' is not one of: dedicated, shared, mixed."));
    const mismatch = await c.call('PUT', `${base}/hw:cpu_policy`, { token: c.as.admin.token, version: '2.86', body: { 'hw:pmu': 'often' } });
    assert.deepEqual(mismatch.body, refusal("Validation failed; 'often' is not a valid boolean-like value."));
    const missing = await c.call('POST', '/v2.1/flavors/nope/os-extra_specs', { token: c.as.admin.token, version: '2.86',
      body: { extra_specs: { 'hw:numa_nodes': '0' } } });
    assert.equal(missing.status, 400);
    assert.equal((await stored())['hw:cpu_policy'], 'shared');
  });

  it('stores anything below 2.86, as Nova did', async () => {
    assert.equal((await post({ 'hw:cpu_policy': 'bogus', 'hw:cpu_polcy': 'x' }, '2.85')).status, 200);
    assert.equal((await put('hw:numa_nodes', '0', '2.85')).status, 200);
    assert.equal((await c.call('POST', base, { token: c.as.admin.token, body: { extra_specs: { 'trait:CUSTOM_X': 'maybe' } } })).status, 200);
    const all = await stored();
    assert.deepEqual([all['hw:cpu_policy'], all['hw:cpu_polcy'], all['hw:numa_nodes'], all['trait:CUSTOM_X']], ['bogus', 'x', '0', 'maybe']);
    assert.equal((await post({ 'hw:cpu_policy': 'bogus' }, '2.93')).status, 400);
  });
});
