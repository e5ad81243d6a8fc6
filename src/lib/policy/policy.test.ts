// Behaviour of the policy engine: the check-string language, rule references, scope types and policy files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Credentials, Scope } from '../context.ts';
import { Forbidden } from '../errors.ts';
import { baseRules, createPolicyEnforcer, credentialsView, loadPolicyFile, parseRule, PolicyParseError } from './index.ts';
import type { PolicyRule } from './index.ts';

function creds(over: Partial<Credentials> & { scope?: Scope } = {}): Credentials {
  return {
    userId: 'u1',
    userDomainId: 'd1',
    scope: { kind: 'project', projectId: 'p1', projectDomainId: 'd1' },
    roles: ['member', 'reader'],
    expiresAt: '2099-01-01T00:00:00Z',
    ...over,
  };
}

/** An enforcer over a single rule `r` (plus any helpers), answering for `c` and `target`. */
function check(rule: string, c: Credentials | undefined, target: Record<string, unknown> = {}, extra: PolicyRule[] = []): boolean {
  const enforcer = createPolicyEnforcer({ rules: [{ name: 'r', check: rule, description: '' }, ...extra] });
  return enforcer.allowed('r', c, target);
}

test('not binds tighter than and, which binds tighter than or', () => {
  assert.deepEqual(parseRule('role:a or role:b and not role:c'), {
    type: 'or',
    operands: [
      { type: 'role', role: { kind: 'literal', value: 'a' } },
      { type: 'and', operands: [
        { type: 'role', role: { kind: 'literal', value: 'b' } },
        { type: 'not', operand: { type: 'role', role: { kind: 'literal', value: 'c' } } },
      ] },
    ],
  });
  // admin only: "role:x or role:admin and role:y" is x or (admin and y), false for a bare admin.
  const admin = creds({ roles: ['admin'] });
  assert.equal(check('role:x or role:admin and role:y', admin), false);
  assert.equal(check('(role:x or role:admin) and not role:y', admin), true);
  assert.equal(check('not role:admin or role:admin', admin), true);
  assert.equal(check('not (role:admin or role:x)', admin), false);
  assert.equal(check('NOT role:x AND role:admin', admin), true, 'keywords are case-insensitive');
});

test('parentheses nest, and may touch the checks they enclose', () => {
  const c = creds({ roles: ['reader'] });
  assert.equal(check('((role:reader))', c), true);
  assert.equal(check('(role:admin or (role:reader and project_id:%(project_id)s))', c, { project_id: 'p1' }), true);
  assert.equal(check('not(role:admin)', c), true);
});

test('the empty rule and @ always allow, ! never does, even without credentials', () => {
  assert.equal(check('', undefined), true);
  assert.equal(check('   ', creds()), true);
  assert.equal(check('@', undefined), true);
  assert.equal(check('!', creds({ roles: ['admin'] })), false);
  assert.equal(check('role:admin or !', creds({ roles: ['admin'] })), true);
});

test('role checks are case-insensitive and may take the role from the target', () => {
  assert.equal(check('role:Member', creds()), true);
  assert.equal(check('role:%(target.role.name)s', creds(), { target: { role: { name: 'READER' } } }), true);
  assert.equal(check('role:%(target.role.name)s', creds(), {}), false);
});

test('quoted literals and True/False compare the way oslo.policy does', () => {
  const c = creds({ isAdminProject: true });
  assert.equal(check('is_admin_project:True', c), true);
  assert.equal(check('is_admin_project:False', c), false);
  assert.equal(check('is_admin_project:False', creds()), true, 'an unknown admin-project flag counts as False');
  assert.equal(check("user_id:'u1'", c), true);
  assert.equal(check('user_id:"u1"', c), true);
  assert.equal(check("user_id:'u 1'", creds({ userId: 'u 1' })), true, 'a quoted literal may hold spaces');
  assert.equal(check("user_id:'u 1' or role:x", c), false);
  assert.equal(check("'member':%(role.name)s", c, { role: { name: 'member' } }), true);
  assert.equal(check('True:%(user.enabled)s', c, { user: { enabled: true } }), true);
  assert.equal(check('True:%(user.enabled)s', c, { user: { enabled: false } }), false);
  assert.equal(check('system_scope:all', creds({ scope: { kind: 'system' } })), true);
  assert.equal(check('system_scope:all', c), false);
  assert.equal(check('is_admin:True', creds({ roles: ['admin'] })), false, 'there is no legacy is_admin credential');
});

test('a list credential matches when it contains the value', () => {
  const c = creds({ service: { userId: 'nova', roles: ['service'] } });
  assert.equal(check('service_roles:service', c), true);
  assert.equal(check('service_roles:admin', c), false);
  assert.equal(check('roles:reader', c), true);
});

test('targets are substituted through dotted paths, nested or flattened', () => {
  const c = creds();
  assert.equal(check('user_id:%(target.user.id)s', c, { target: { user: { id: 'u1' } } }), true);
  assert.equal(check('user_id:%(target.user.id)s', c, { 'target.user.id': 'u1' }), true);
  assert.equal(check('user_id:%(target.user.id)s', c, { target: { user: { id: 'u2' } } }), false);
  assert.equal(check('project_domain_id:%(target.project.domain_id)s', c, { target: { project: { domain_id: 'd1' } } }), true);
  assert.equal(check('project_id:p-%(suffix)s', creds({ scope: { kind: 'project', projectId: 'p-7', projectDomainId: 'd1' } }), { suffix: 7 }), true);
});

test('a missing, null or non-scalar target key makes the check false instead of throwing', () => {
  const rule = 'project_id:%(project_id)s';
  for (const target of [{}, { project_id: null }, { project_id: { id: 'p1' } }, { other: 'p1' }]) {
    assert.equal(check(rule, creds(), target), false, JSON.stringify(target));
  }
  assert.equal(check('user_id:%(a.b.c)s', creds(), { a: 'string, not an object' }), false);
  assert.equal(check('user_id:%(constructor)s', creds(), {}), false, 'prototype properties are not target keys');
  assert.equal(check('not project_id:%(project_id)s', creds(), {}), true);
});

test('an absent credential never matches, not even an absent or null target value', () => {
  const projectScoped = creds();
  assert.equal(check('domain_id:%(domain_id)s', projectScoped, { domain_id: null }), false);
  assert.equal(check('domain_id:None', projectScoped), false);
  assert.equal(check('None:%(target.role.domain_id)s', projectScoped, { target: { role: { domain_id: null } } }), true);
  assert.equal(check('None:%(target.role.domain_id)s', projectScoped, { target: { role: { domain_id: 'd1' } } }), false);
});

test('a malformed rule is a parse error naming the rule and the position', () => {
  const cases: [string, RegExp][] = [
    ['role:admin and', /unexpected end of rule/],
    ['(role:admin or role:x', /missing '\)'/],
    ['role:admin)', /unexpected '\)'/],
    ['role:admin role:x', /unexpected 'role:x'/],
    ['admin', /'admin' is not a check/],
    ["user_id:'u1", /unterminated quoted literal/],
    ['project_id:%(project_id', /unterminated '%\(' substitution/],
    ['project_id:%(project_id)d', /expected '%\(name\)s'/],
    ['and role:x', /unexpected 'and'/],
    ['role:', /not a check/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(() => createPolicyEnforcer({ rules: [{ name: 'compute:create', check: text, description: '' }] }), (err: unknown) => {
      assert.ok(err instanceof PolicyParseError, text);
      assert.match(err.message, /^Invalid policy rule "compute:create": /);
      assert.match(err.message, reason);
      assert.match(err.message, / at position \d+ in /);
      return true;
    });
  }
});

test('rules refer to other rules, including names that contain colons', () => {
  const enforcer = createPolicyEnforcer({ rules: [
    ...baseRules,
    { name: 'os_compute_api:servers:show', check: 'rule:project_reader_or_admin', description: '' },
    { name: 'os_compute_api:servers:index', check: 'rule:os_compute_api:servers:show', description: '' },
  ] });
  assert.equal(enforcer.allowed('os_compute_api:servers:index', creds(), { project_id: 'p1' }), true);
  assert.equal(enforcer.allowed('os_compute_api:servers:index', creds(), { project_id: 'p2' }), false);
  assert.equal(enforcer.allowed('os_compute_api:servers:index', creds({ roles: ['admin'] }), { project_id: 'p2' }), true);
});

test('an undefined rule reference or a cycle is refused at construction', () => {
  const rules = (pairs: [string, string][]): PolicyRule[] => pairs.map(([name, check]) => ({ name, check, description: '' }));
  assert.throws(() => createPolicyEnforcer({ rules: rules([['a', 'rule:nope or @']]) }), /Policy rule "a" refers to undefined rule "nope"/);
  assert.throws(() => createPolicyEnforcer({ rules: rules([['a', 'rule:a']]) }), /cycle: a -> a/);
  assert.throws(
    () => createPolicyEnforcer({ rules: rules([['a', 'role:x or rule:b'], ['b', 'not rule:c'], ['c', 'rule:a and @']]) }),
    /cycle: a -> b -> c -> a/,
  );
  assert.throws(() => createPolicyEnforcer({ rules: rules([['a', '@'], ['a', '!']]) }), /declared twice/);
  // A diamond is not a cycle.
  assert.doesNotThrow(() => createPolicyEnforcer({ rules: rules([['a', 'rule:b and rule:c'], ['b', 'rule:d'], ['c', 'rule:d'], ['d', '@']]) }));
});

test('enforce throws Forbidden with oslo\'s message, and an unknown rule is a programming error', () => {
  const enforcer = createPolicyEnforcer({ rules: baseRules });
  assert.doesNotThrow(() => enforcer.enforce('project_member', creds(), { project_id: 'p1' }));
  assert.throws(() => enforcer.enforce('project_admin', creds(), { project_id: 'p1' }), (err: unknown) => {
    assert.ok(err instanceof Forbidden);
    assert.equal(err.status, 403);
    assert.equal(err.message, "Policy doesn't allow project_admin to be performed.");
    return true;
  });
  assert.throws(() => enforcer.enforce('no_such_rule', creds(), {}), (err: unknown) => !(err instanceof Forbidden) && /Unknown policy rule "no_such_rule"/.test(String(err)));
  assert.throws(() => enforcer.allowed('no_such_rule', creds(), {}), /Unknown policy rule/);
});

test('a token whose scope is not in the rule\'s scope types is refused whatever the check says', () => {
  const enforcer = createPolicyEnforcer({ rules: [
    { name: 'identity:list_domains', check: '@', description: '', scopeTypes: ['system', 'domain'] },
    { name: 'compute:create', check: 'role:member', description: '', scopeTypes: ['project'] },
  ] });
  const system = creds({ scope: { kind: 'system' }, roles: ['admin', 'member', 'reader'] });
  const domain = creds({ scope: { kind: 'domain', domainId: 'd1' } });
  const unscoped = creds({ scope: { kind: 'unscoped' }, roles: [] });
  assert.equal(enforcer.allowed('identity:list_domains', system, {}), true);
  assert.equal(enforcer.allowed('identity:list_domains', domain, {}), true);
  assert.equal(enforcer.allowed('identity:list_domains', creds(), {}), false);
  assert.equal(enforcer.allowed('identity:list_domains', unscoped, {}), false);
  assert.equal(enforcer.allowed('identity:list_domains', undefined, {}), false);
  assert.equal(enforcer.allowed('compute:create', creds(), {}), true);
  assert.throws(() => enforcer.enforce('compute:create', system, {}), Forbidden);
});

test('overrides from a YAML policy file replace defaults, keep their scope types and may add helper rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-policy-'));
  try {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, [
      '# operator overrides',
      '"compute:create": "rule:ops_team or rule:project_member"',
      'ops_team: role:ops',
      'compute:delete: "!"',
    ].join('\n'));
    const overrides = loadPolicyFile(file);
    assert.deepEqual(overrides, { 'compute:create': 'rule:ops_team or rule:project_member', ops_team: 'role:ops', 'compute:delete': '!' });
    const defaults: PolicyRule[] = [
      ...baseRules,
      { name: 'compute:create', check: 'rule:project_member', description: '', scopeTypes: ['project'] },
      { name: 'compute:delete', check: 'rule:project_member_or_admin', description: '' },
    ];
    const enforcer = createPolicyEnforcer({ rules: defaults, overrides });
    const ops = creds({ roles: ['ops'] });
    assert.equal(enforcer.allowed('compute:create', ops, { project_id: 'other' }), true);
    assert.equal(enforcer.allowed('compute:create', creds({ roles: ['ops'], scope: { kind: 'system' } }), {}), false, 'scope types survive an override');
    assert.equal(enforcer.allowed('compute:delete', creds({ roles: ['admin'] }), { project_id: 'p1' }), false);
    assert.equal(enforcer.rules()['compute:delete'], '!');
    assert.equal(enforcer.rules().project_member, 'role:member and project_id:%(project_id)s');

    const json = join(dir, 'policy.json');
    writeFileSync(json, JSON.stringify({ 'compute:delete': 'role:admin' }));
    assert.deepEqual(loadPolicyFile(json), { 'compute:delete': 'role:admin' });

    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '# nothing overridden\n');
    assert.deepEqual(loadPolicyFile(empty), {});

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'compute:delete: true\n');
    assert.throws(() => loadPolicyFile(bad), /bad\.yaml: rule "compute:delete" must be a string/);
    writeFileSync(bad, '- role:admin\n');
    assert.throws(() => loadPolicyFile(bad), /must hold a mapping/);
    writeFileSync(bad, 'a: [unclosed\n');
    assert.throws(() => loadPolicyFile(bad), /bad\.yaml is not valid YAML or JSON/);

    writeFileSync(bad, 'compute:create: "role:admin and"\n');
    assert.throws(() => createPolicyEnforcer({ rules: defaults, overrides: loadPolicyFile(bad) }), /Invalid policy rule "compute:create"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the credentials view exposes the token in oslo.policy\'s field names', () => {
  assert.deepEqual(credentialsView(creds({ trustId: 't1', service: { userId: 's', roles: ['service'] } })), {
    user_id: 'u1', user_domain_id: 'd1', project_id: 'p1', project_domain_id: 'd1', domain_id: undefined,
    system_scope: undefined, roles: ['member', 'reader'], is_admin_project: false, service_roles: ['service'], trust_id: 't1',
    scope_type: 'project',
  });
  const domain = credentialsView(creds({ scope: { kind: 'domain', domainId: 'd9' } }));
  assert.equal(domain.domain_id, 'd9');
  assert.equal(domain.project_id, undefined);
  assert.equal(credentialsView(creds({ scope: { kind: 'system' } })).system_scope, 'all');
});

test('the base personas follow secure RBAC: readers read, members write, admins are cloud-wide', () => {
  const enforcer = createPolicyEnforcer({ rules: baseRules });
  const reader = creds({ roles: ['reader'] });
  const member = creds();
  const target = { project_id: 'p1', user_id: 'u1', domain_id: 'd1' };
  assert.equal(enforcer.allowed('project_reader', reader, target), true);
  assert.equal(enforcer.allowed('project_member', reader, target), false);
  assert.equal(enforcer.allowed('project_member', member, target), true);
  assert.equal(enforcer.allowed('project_member', member, { project_id: 'p2' }), false);
  assert.equal(enforcer.allowed('admin_or_owner', member, { user_id: 'u1' }), true);
  assert.equal(enforcer.allowed('admin_or_owner', member, { user_id: 'u2' }), false);
  assert.equal(enforcer.allowed('system_reader', creds({ scope: { kind: 'system' }, roles: ['reader'] }), {}), true);
  assert.equal(enforcer.allowed('system_admin', creds({ roles: ['admin'] }), {}), false, 'a project admin is not a system admin');
  assert.equal(enforcer.allowed('domain_reader', creds({ scope: { kind: 'domain', domainId: 'd1' }, roles: ['reader'] }), target), true);
  assert.equal(enforcer.allowed('domain_admin', creds({ roles: ['admin'] }), target), false, 'a project token has no domain_id');
  assert.equal(enforcer.allowed('service_or_admin', creds({ roles: ['service'] }), {}), true);
});

/** A small deterministic generator, so the property test explores the same cases on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

test('a or b, a and b, not a evaluate to the boolean combination of a and b over generated credentials', () => {
  const atoms = [
    '@', '!', 'role:admin', 'role:reader', 'role:member', 'system_scope:all', 'project_id:%(project_id)s',
    'user_id:%(target.owner.id)s', 'domain_id:%(domain_id)s', 'is_admin_project:True', "user_domain_id:'d1'",
    'project_id:%(missing)s', 'rule:helper', 'not role:reader', '(role:member and project_id:%(project_id)s)',
  ];
  const scopes: Scope[] = [
    { kind: 'project', projectId: 'p1', projectDomainId: 'd1' }, { kind: 'project', projectId: 'p2', projectDomainId: 'd2' },
    { kind: 'domain', domainId: 'd1' }, { kind: 'system' }, { kind: 'unscoped' },
  ];
  const roleNames = ['admin', 'member', 'reader', 'service'];
  const rand = prng(42);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const helper: PolicyRule = { name: 'helper', check: 'role:service or user_id:u2', description: '' };
  let compared = 0;
  for (let round = 0; round < 60; round++) {
    const a = pick(atoms);
    const b = pick(atoms);
    const enforcer = createPolicyEnforcer({ rules: [helper, ...[
      ['a', a], ['b', b], ['or', `${a} or ${b}`], ['and', `${a} and ${b}`], ['not', `not (${a})`],
    ].map(([name, check]) => ({ name, check, description: '' }))] });
    for (let k = 0; k < 10; k++) {
      const c = creds({
        userId: pick(['u1', 'u2']), userDomainId: pick(['d1', 'd2']), scope: pick(scopes),
        roles: roleNames.filter(() => rand() < 0.5), isAdminProject: pick([true, false, undefined]),
      });
      const target = { project_id: pick(['p1', 'p2']), domain_id: pick(['d1', 'd2', null]), target: { owner: { id: pick(['u1', 'u2']) } } };
      const va = enforcer.allowed('a', c, target);
      const vb = enforcer.allowed('b', c, target);
      assert.equal(enforcer.allowed('or', c, target), va || vb, `${a} or ${b}`);
      assert.equal(enforcer.allowed('and', c, target), va && vb, `${a} and ${b}`);
      assert.equal(enforcer.allowed('not', c, target), !va, `not (${a})`);
      compared++;
    }
  }
  assert.equal(compared, 600);
});
