// Flavor extra spec validation (microversion 2.86) as the openstack CLI meets it: a bad value of a known key fails
// with Nova's message, a valid one and a key outside Nova's namespaces are set, and an older microversion stores anything.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cliSkipReason, useCloud } from './harness.ts';

const V = (minor: number) => ['--os-compute-api-version', `2.${minor}`];

describe('flavor extra spec validation through the openstack CLI', { skip: cliSkipReason() }, () => {
  const cloud = useCloud();
  const properties = async (flavor: string) => JSON.stringify((await cloud().openstackJson([...V(86), 'flavor', 'show', flavor])).properties);

  it('refuses an invalid property from 2.86 with Nova\'s message and sets valid ones', async () => {
    await cloud().ok(['flavor', 'create', '--ram', '256', '--disk', '1', '--vcpus', '2', 'checked']);
    await cloud().fails([...V(86), 'flavor', 'set', '--property', 'hw:cpu_policy=bogus', 'checked'],
      /Validation failed; 'bogus' is not one of: dedicated, shared, mixed\./);
    await cloud().fails([...V(86), 'flavor', 'set', '--property', 'hw:cpu_polcy=dedicated', 'checked'],
      /extra spec 'hw:cpu_polcy' does not appear to be a valid extra spec/);
    await cloud().ok([...V(86), 'flavor', 'set', '--property', 'hw:cpu_policy=dedicated', '--property', 'hw:cpu_sockets=2',
      '--property', 'custom:team=blue', 'checked']);
    const set = await properties('checked');
    assert.match(set, /hw:cpu_policy.*dedicated/);
    assert.match(set, /custom:team.*blue/);
    assert.doesNotMatch(set, /bogus|cpu_polcy/);
  });

  it('accepts any property below 2.86', async () => {
    await cloud().ok(['flavor', 'create', '--ram', '256', '--disk', '1', '--vcpus', '1', 'legacy']);
    await cloud().ok([...V(85), 'flavor', 'set', '--property', 'hw:cpu_policy=bogus', 'legacy']);
    assert.match(await properties('legacy'), /hw:cpu_policy.*bogus/);
  });
});
