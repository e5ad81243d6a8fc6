// Security groups, quotas and tags through the API: the default group and its rules, rule validation and
// duplicates, OverQuota on create, quota details, and tags with their filters.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork } from './test-network.ts';
import type { TestNetwork } from './test-network.ts';

describe('network API: security groups, quotas and tags', () => {
  let n: TestNetwork;
  before(async () => { n = await startNetwork({ quota_security_group: 3 }); });
  after(async () => { await n?.close(); });

  it('creates the default group on first use with its four rules, once', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => n.call('GET', '/v2.0/security-groups', { token: n.as.bob.token })));
    assert.equal(a.body.security_groups.length, 1);
    assert.equal(a.body.security_groups[0].id, b.body.security_groups[0].id);
    const rules = a.body.security_groups[0].security_group_rules;
    const shape = rules.map((r: Record<string, unknown>) => `${r.direction}/${r.ethertype}/${r.remote_group_id ? 'group' : 'any'}`).sort();
    assert.deepEqual(shape, ['egress/IPv4/any', 'egress/IPv6/any', 'ingress/IPv4/group', 'ingress/IPv6/group']);
    const del = await n.call('DELETE', `/v2.0/security-groups/${a.body.security_groups[0].id}`, { token: n.as.bob.token });
    assert.equal(del.status, 409);
  });

  it('adds rules by protocol name or number and refuses duplicates and impossible ranges', async () => {
    const sg = await n.create(n.as.alice, 'security-groups', 'security_group', { name: 'web', description: 'web servers' });
    assert.equal(sg.security_group_rules.length, 2, 'a new group only allows egress');
    const rule = await n.create(n.as.alice, 'security-group-rules', 'security_group_rule', {
      security_group_id: sg.id, direction: 'ingress', protocol: 'TCP', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0',
    });
    assert.deepEqual([rule.protocol, rule.ethertype, rule.port_range_min, rule.remote_ip_prefix], ['tcp', 'IPv4', 22, '0.0.0.0/0']);
    const dup = await n.call('POST', '/v2.0/security-group-rules', { token: n.as.alice.token, body: { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 } } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.NeutronError.type, 'SecurityGroupRuleExists');
    assert.match(dup.body.NeutronError.message, new RegExp(rule.id));
    const icmp = await n.create(n.as.alice, 'security-group-rules', 'security_group_rule', { security_group_id: sg.id, direction: 'ingress', protocol: 1 });
    assert.equal(icmp.protocol, '1');
    const bad: [Record<string, unknown>, string][] = [
      [{ protocol: 'tcp', port_range_min: 30, port_range_max: 20 }, 'SecurityGroupInvalidPortRange'],
      [{ protocol: 'tcp', port_range_min: 0, port_range_max: 20 }, 'SecurityGroupInvalidPortRange'],
      [{ protocol: 'icmp', port_range_min: 300 }, 'SecurityGroupInvalidIcmpValue'],
      [{ protocol: 'gre', port_range_min: 1, port_range_max: 2 }, 'SecurityGroupInvalidProtocolForPort'],
      [{ port_range_min: 1, port_range_max: 2 }, 'SecurityGroupProtocolRequiredWithPorts'],
      [{ protocol: 'banana' }, 'SecurityGroupRuleInvalidProtocol'],
      [{ protocol: 300 }, 'SecurityGroupRuleInvalidProtocol'],
      [{ remote_ip_prefix: '::/0' }, 'SecurityGroupRuleParameterConflict'],
      [{ remote_ip_prefix: 'nope' }, 'InvalidInput'],
      [{ remote_ip_prefix: '10.0.0.0/8', remote_group_id: sg.id }, 'SecurityGroupRemoteGroupAndRemoteIpPrefix'],
      [{ direction: 'sideways' }, 'HTTPBadRequest'],
    ];
    for (const [body, type] of bad) {
      const r = await n.call('POST', '/v2.0/security-group-rules', { token: n.as.alice.token, body: { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ...body } } });
      assert.equal(r.body?.NeutronError?.type, type, JSON.stringify(body));
      assert.ok(r.status >= 400 && r.status < 500);
    }
    const remote = await n.create(n.as.alice, 'security-group-rules', 'security_group_rule', { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv6', remote_group_id: sg.id });
    assert.equal(remote.remote_group_id, sg.id);
    const stored = (await n.call('GET', `/v2.0/security-groups/${sg.id}`, { token: n.as.rita.token })).body.security_group;
    assert.equal(stored.security_group_rules.length, 5);
    assert.equal((await n.call('POST', '/v2.0/security-group-rules', { token: n.as.bob.token, body: { security_group_rule: { security_group_id: sg.id, direction: 'ingress' } } })).status, 404);
    assert.equal((await n.call('POST', '/v2.0/security-group-rules', { token: n.as.rita.token, body: { security_group_rule: { security_group_id: sg.id, direction: 'egress', protocol: 'udp' } } })).status, 403);
    assert.equal((await n.call('DELETE', `/v2.0/security-group-rules/${rule.id}`, { token: n.as.alice.token })).status, 204);
  });

  it('refuses creation over quota with OverQuota and reports usage in quota details', async () => {
    const made = [];
    for (let i = 0; ; i++) {
      const r = await n.call('POST', '/v2.0/security-groups', { token: n.as.bob.token, body: { security_group: { name: `g${i}` } } });
      if (r.status !== 201) {
        assert.equal(r.status, 409);
        assert.equal(r.body.NeutronError.type, 'OverQuota');
        assert.equal(r.body.NeutronError.message, "Quota exceeded for resources: ['security_group'].");
        break;
      }
      made.push(r.body.security_group.id);
    }
    assert.equal(made.length, 2, 'default + 2 = the quota of 3');
    const details = (await n.call('GET', `/v2.0/quotas/${n.as.bob.projectId}/details`, { token: n.as.bob.token })).body.quota;
    assert.deepEqual(details.security_group, { limit: 3, used: 3, reserved: 0 });
    assert.equal((await n.call('PUT', `/v2.0/quotas/${n.as.bob.projectId}`, { token: n.as.bob.token, body: { quota: { security_group: 10 } } })).status, 403);
    const set = await n.call('PUT', `/v2.0/quotas/${n.as.bob.projectId}`, { token: n.as.admin.token, body: { quota: { security_group: 4, network: 0 } } });
    assert.equal(set.body.quota.security_group, 4);
    assert.equal((await n.call('POST', '/v2.0/security-groups', { token: n.as.bob.token, body: { security_group: { name: 'g9' } } })).status, 201);
    assert.equal((await n.call('POST', '/v2.0/networks', { token: n.as.bob.token, body: { network: { name: 'none' } } })).body.NeutronError.type, 'OverQuota');
    assert.equal((await n.call('PUT', `/v2.0/quotas/${n.as.bob.projectId}`, { token: n.as.admin.token, body: { quota: { widgets: 4 } } })).status, 400);
    assert.deepEqual((await n.call('GET', '/v2.0/quotas', { token: n.as.admin.token })).body.quotas.map((q: { project_id: string }) => q.project_id), [n.as.bob.projectId]);
    assert.equal((await n.call('GET', `/v2.0/quotas/${n.as.bob.projectId}`, { token: n.as.alice.token })).status, 403);
    assert.equal((await n.call('DELETE', `/v2.0/quotas/${n.as.bob.projectId}`, { token: n.as.admin.token })).status, 204);
    const defaults = (await n.call('GET', `/v2.0/quotas/${n.as.bob.projectId}`, { token: n.as.bob.token })).body.quota;
    assert.deepEqual(defaults, { network: 100, subnet: 100, port: 500, router: 10, floatingip: 50, security_group: 3, security_group_rule: 100 });
  });

  it('sets, lists, checks and removes tags, bumping the revision, and filters lists by tags', async () => {
    const a = await n.create(n.as.alice, 'networks', 'network', { name: 'tagged-a' });
    const b = await n.create(n.as.alice, 'networks', 'network', { name: 'tagged-b' });
    const put = await n.call('PUT', `/v2.0/networks/${a.id}/tags`, { token: n.as.alice.token, body: { tags: ['red', 'blue'] } });
    assert.deepEqual(put.body.tags, ['blue', 'red']);
    assert.equal((await n.call('PUT', `/v2.0/networks/${b.id}/tags/red`, { token: n.as.alice.token })).status, 201);
    assert.equal((await n.call('GET', `/v2.0/networks/${a.id}/tags/blue`, { token: n.as.rita.token })).status, 204);
    assert.equal((await n.call('GET', `/v2.0/networks/${b.id}/tags/blue`, { token: n.as.alice.token })).status, 404);
    assert.equal((await n.call('PUT', `/v2.0/networks/${a.id}/tags/green`, { token: n.as.rita.token })).status, 403);
    assert.equal((await n.call('PUT', `/v2.0/networks/${a.id}/tags/green`, { token: n.as.bob.token })).status, 404);
    assert.equal((await n.call('PUT', `/v2.0/networks/${a.id}/tags`, { token: n.as.alice.token, body: { tags: ['a,b'] } })).status, 400);
    const names = async (q: string) => (await n.call('GET', `/v2.0/networks?${q}`, { token: n.as.alice.token })).body.networks.map((x: { name: string }) => x.name).sort();
    assert.deepEqual(await names('tags=red'), ['tagged-a', 'tagged-b']);
    assert.deepEqual(await names('tags=red,blue'), ['tagged-a']);
    assert.deepEqual(await names('tags-any=blue&name=tagged-a&name=tagged-b'), ['tagged-a']);
    assert.deepEqual(await names('not-tags=blue&tags=red'), ['tagged-b']);
    const shown = (await n.call('GET', `/v2.0/networks/${a.id}`, { token: n.as.alice.token })).body.network;
    assert.deepEqual([shown.tags, shown.revision_number], [['blue', 'red'], 2]);
    assert.equal((await n.call('DELETE', `/v2.0/networks/${a.id}/tags/red`, { token: n.as.alice.token })).status, 204);
    assert.equal((await n.call('DELETE', `/v2.0/networks/${a.id}/tags`, { token: n.as.alice.token })).status, 204);
    assert.deepEqual((await n.call('GET', `/v2.0/networks/${a.id}/tags`, { token: n.as.alice.token })).body.tags, []);
  });
});
