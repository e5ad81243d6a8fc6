// The extra spec rules as Nova applies them: Python's integer and oslo's boolean parsing, parameterized names,
// granular groups, and the namespace rule for unknown keys.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateExtraSpec } from './extra-spec-validation.ts';

const accepts = (name: string, value: string) => assert.doesNotThrow(() => validateExtraSpec(name, value), `${name}=${value}`);
const refuses = (name: string, value: string, message: RegExp) =>
  assert.throws(() => validateExtraSpec(name, value), (e: Error & { status?: number }) => e.status === 400 && message.test(e.message), `${name}=${value}`);

describe('extra spec validation', () => {
  it('reads integers as Python does: sign, surrounding blanks and digit underscores, no decimals', () => {
    for (const v of ['4', '+4', ' 4 ', '1_024']) accepts('hw:numa_mem.0', v);
    for (const v of ['4.0', '4 4', '_4', '0x10', '']) refuses('hw:numa_mem.0', v, /is not a valid integer value/);
    refuses('hw:numa_mem.0', '-0', /'0' is less than the min value of '1'/);
    accepts('quota:cpu_reservation', '-99999999999999999999');
    refuses('os:monitors', '9', /'9' is greater than the max value of '8'/);
  });

  it('reads booleans as oslo does, case and blanks aside', () => {
    for (const v of ['true', 'False', ' YES ', 'on', 'n', '0', 't']) accepts('hw:cpu_realtime', v);
    for (const v of ['', 'truthy', '2', 'enabled']) refuses('hw:cpu_realtime', v, /is not a valid boolean-like value/);
  });

  it('matches the value\'s format as a whole', () => {
    for (const v of ['0-3', '^0,2-3', '1']) accepts('hw:cpu_dedicated_mask', v);
    for (const v of ['a', '0-3,', '0 - 3']) refuses('hw:cpu_dedicated_mask', v, /is not of the format/);
    for (const v of ['small', 'large', 'any', '2048', '1GB', '4Ki']) accepts('hw:mem_page_size', v);
    accepts('pci_passthrough:alias', 'gpu:2, nic:1');
    refuses('pci_passthrough:alias', 'gpu', /is not of the format/);
  });

  it('knows parameterized names and both spellings of the CPU topology limits', () => {
    accepts('hw:numa_cpus.12', '0-1');
    refuses('hw:numa_cpus.x', '0-1', /does not appear to be a valid extra spec/);
    refuses('hw:numa_cpus', '0-1', /does not appear to be a valid extra spec/);
    for (const name of ['hw:cpu_max_sockets', 'hw:max_cpu_sockets']) accepts(name, '2');
    accepts('capabilities:hypervisor_type', 's== QEMU');
    refuses('capabilities:no_such', 'x', /does not appear to be a valid extra spec/);
  });

  it('checks granular groups of resources and traits, within 64 characters', () => {
    accepts('resources_gpu-1:VGPU', '1');
    accepts(`trait${'g'.repeat(64)}:CUSTOM_X`, 'required');
    refuses(`trait${'g'.repeat(64)}:CUSTOM_X`, 'wanted', /is not one of: required, forbidden/);
    refuses('resources:vcpu', '1', /does not appear to be a valid extra spec/);
  });

  it('lets keys outside Nova\'s namespaces through, whatever their value', () => {
    for (const name of ['mykey', 'custom:foo', 'hw_video_ram:x', 'hwx:cpu_policy', 'hypervisor_type']) accepts(name, 'bogus');
    refuses('hw_video:ram', '1', /extra spec 'hw_video:ram' does not appear/);
  });
});
