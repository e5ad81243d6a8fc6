// Keeps the layering one-way (ARCHITECTURE.md "Who may import what"): the table below is the rule, as data.
// Fails on any import outside its row and on a source file no row covers.
import { globSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

type Where = { layer: string; service?: string; impl?: string };

/** Which row a file under src/ belongs to. */
function classify(file: string): Where | undefined {
  const p = file.split('/');
  if (p[0] !== 'src') return undefined;
  if (p[1] === 'lib') return { layer: 'lib' };
  if (p[1] === 'cmd') return { layer: 'cmd' };
  // The guest image builder: runtime code beside lib, called by cmd (`stratus up`, `image-build`).
  if (p[1] === 'guest-image') return { layer: 'guest-image' };
  if (p[1] !== 'services' || p.length < 4) return undefined;
  const service = p[2];
  const name = p.at(-1)!;
  if (name.endsWith('.test.ts') || name.startsWith('test-')) return { layer: 'test', service };
  if (p.length === 4) return { layer: 'top', service };
  const folder = p[3];
  if (folder === 'agent' && p[4] === 'drivers' && p.length > 6) return { layer: 'driver', service, impl: p[5] };
  if (folder === 'agent' && p[4] === 'drivers') return { layer: 'driver-contract', service };
  // Image stores and block-storage volume drivers have the drivers' shape: a contract file beside one folder per backend.
  if (folder === 'stores' && p.length > 5) return { layer: 'driver', service, impl: p[4] };
  if (folder === 'stores') return { layer: 'driver-contract', service };
  // Block storage's `volume/` is its per-host role (cinder-volume), shaped like compute's agent: no db, drivers beside it.
  if (folder === 'volume' && p[4] === 'drivers' && p.length > 6) return { layer: 'driver', service, impl: p[5] };
  if (folder === 'volume' && p[4] === 'drivers') return { layer: 'driver-contract', service };
  const layers: Record<string, string> = {
    domain: 'domain', db: 'db', rpc: 'rpc', contract: 'contract', agent: 'agent', volume: 'agent',
    // The workflow tier: roles that validate, decide and orchestrate. Identity's token provider sits here too.
    api: 'workflow', conductor: 'workflow', scheduler: 'workflow', provider: 'workflow',
    // Compute's metadata API (nova-api-metadata) reads the database and Networking like the API does.
    metadata: 'workflow',
    // Compute's console proxies (noVNC, serial): they consume the API's console tokens from the database.
    console: 'workflow',
  };
  return layers[folder] ? { layer: layers[folder], service } : undefined;
}

/** May a file at `from` import the file at `to`? */
function allowed(from: Where, to: Where, toFile: string): boolean {
  const own = to.service !== undefined && to.service === from.service;
  const anyContract = to.layer === 'contract';
  if (to.layer === 'lib') return true;
  switch (from.layer) {
    case 'lib': return false;
    case 'domain': return own && to.layer === 'domain';
    case 'db': case 'rpc': return own && (to.layer === 'domain' || to.layer === from.layer);
    case 'contract': return own && to.layer === 'contract';
    case 'workflow': return anyContract || (own && ['domain', 'db', 'rpc', 'workflow', 'driver-contract'].includes(to.layer));
    case 'agent': return anyContract || (own && ['domain', 'rpc', 'agent', 'driver-contract', 'driver'].includes(to.layer));
    case 'driver-contract': return own && (to.layer === 'driver-contract' || to.layer === 'domain');
    case 'driver': return own && (to.layer === 'driver-contract' || to.layer === 'domain' || (to.layer === 'driver' && to.impl === from.impl));
    case 'top': return anyContract || own;
    // Tests may also start another service through its roles.ts, so API tests run against a real Identity.
    // and use another service's top-level test fixtures (test-*.ts).
    case 'test': return anyContract || own || (to.layer === 'top' && /\/(roles|config)\.ts$/.test(toFile))
      || (to.layer === 'test' && /^src\/services\/[^/]+\/test-[^/]+\.ts$/.test(toFile));
    case 'guest-image': return to.layer === 'guest-image';
    case 'cmd': return to.layer === 'cmd' || to.layer === 'guest-image' || (to.layer === 'top' && /\/(roles|config)\.ts$/.test(toFile));
    default: return false;
  }
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

function resolveSpecifier(file: string, spec: string): string | undefined {
  if (spec.startsWith('#lib/')) return `src/lib/${spec.slice(5)}`;
  if (spec.startsWith('#services/')) return `src/services/${spec.slice(10)}`;
  if (spec.startsWith('.')) return relative(process.cwd(), resolve(dirname(file), spec));
  return undefined; // node:* and npm packages
}

const problems: string[] = [];
for (const file of globSync('src/**/*.ts').sort()) {
  const from = classify(file);
  if (!from) { problems.push(`${file}: no layering row covers this file`); continue; }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const target = resolveSpecifier(file, spec);
    if (!target) {
      if (from.layer !== 'lib' || !spec.startsWith('#')) continue;
    }
    const to = target ? classify(target) : undefined;
    if (!to) { problems.push(`${file}: imports ${spec}, which no layering row covers`); continue; }
    if (!allowed(from, to, target!)) problems.push(`${file} (${from.layer}${from.service ? ` of ${from.service}` : ''}) may not import ${spec} (${to.layer}${to.service ? ` of ${to.service}` : ''})`);
  }
}
if (problems.length) {
  console.error(`layering: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('layering: ok');
