// The README's test command: runs every *.test.ts under src/, test/ and bench/ with node:test.
// `npm test -- <path fragments>` runs only the test files whose path contains one of the fragments.
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
const result = spawnSync(process.execPath, [
  '--disable-warning=ExperimentalWarning',
  '--test', '--test-concurrency=2', '--test-timeout=300000', ...files,
], { stdio: 'inherit' });
process.exit(result.status ?? 1);
