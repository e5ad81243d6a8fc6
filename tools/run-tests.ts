// The README's test command: runs every *.test.ts under src/, test/ and bench/ with node:test.
// `npm test -- <path fragments>` runs only the test files whose path contains one of the fragments.
// The real-VM suites (test/compat/vm-*) each hold the host's data-plane lock for minutes, so they run after the
// rest, one at a time: two of them side by side would only make one wait for the other's lock (and time out on a
// slow machine).
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const filters = process.argv.slice(2);
const files = globSync(['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'])
  .filter((f) => filters.length === 0 || filters.some((frag) => f.includes(frag)))
  .sort();
if (files.length === 0) {
  console.error('no test files match', filters);
  process.exit(1);
}
const isVmSuite = (f: string) => /^test\/compat\/vm-[^/]*\.test\.ts$/.test(f);

function run(batch: string[], concurrency: number): number {
  if (batch.length === 0) return 0;
  const result = spawnSync(process.execPath, [
    '--disable-warning=ExperimentalWarning',
    '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...batch,
  ], { stdio: 'inherit' });
  return result.status ?? 1;
}

const rest = run(files.filter((f) => !isVmSuite(f)), 2);
const vms = run(files.filter(isVmSuite), 1);
process.exit(rest || vms);
