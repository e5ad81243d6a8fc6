// Every host command the linuxbridge driver runs goes through here (argv, never a shell), so a test can see what ran
// and an error names the command and what it printed.
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';

export class HostCommandError extends Error {
  readonly argv: string[];
  readonly stderr: string;
  constructor(argv: string[], code: number | string | null, stderr: string) {
    super(`${argv.join(' ')} failed (${code}): ${stderr.trim() || 'no output'}`);
    this.argv = argv;
    this.stderr = stderr;
  }
}

export interface HostRunner {
  /** Runs argv and resolves to its stdout; rejects with HostCommandError on a non-zero exit. */
  run(argv: string[]): Promise<string>;
  /** Runs argv with `input` on its stdin (`ip -batch -`, `nft -f -`). */
  runWithInput(argv: string[], input: string): Promise<string>;
  /** `ip -json …` parsed (an empty answer is an empty list). */
  ipJson<T>(args: string[]): Promise<T[]>;
  /** The commands run so far, oldest first (tests). */
  readonly history: string[][];
}

export function createHostRunner(opts: { timeoutMs?: number; traceFile?: string } = {}): HostRunner {
  const history: string[][] = [];
  // Opt-in profiling: each command's wall time and argv appended to this file (benchmarks, slow-host diagnosis).
  const trace = opts.traceFile ?? process.env.STRATUS_HOST_COMMAND_TRACE;
  const run = (argv: string[], input?: string) => new Promise<string>((resolve, reject) => {
    history.push(argv);
    if (history.length > 10_000) history.splice(0, 5_000);
    const t0 = performance.now();
    const child = execFile(argv[0], argv.slice(1), { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (trace) appendFileSync(trace, `${(performance.now() - t0).toFixed(1)}\t${argv.join(' ')}${input === undefined ? '' : ` <<${input.split('\n').length - 1} lines`}\n`);
      if (err) reject(new HostCommandError(argv, (err as NodeJS.ErrnoException).code ?? null, String(stderr || err.message)));
      else resolve(String(stdout));
    });
    if (input !== undefined) child.stdin?.end(input);
  });
  return {
    run: (argv: string[]) => run(argv),
    runWithInput: run,
    async ipJson<T>(args: string[]) {
      const out = (await run(['ip', '-json', ...args])).trim();
      return out ? JSON.parse(out) as T[] : [];
    },
    history,
  };
}
