// Every host command the linuxbridge driver runs goes through here (argv, never a shell), so a test can see what ran
// and an error names the command and what it printed.
import { execFile } from 'node:child_process';

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
  /** `ip -json …` parsed (an empty answer is an empty list). */
  ipJson<T>(args: string[]): Promise<T[]>;
  /** The commands run so far, oldest first (tests). */
  readonly history: string[][];
}

export function createHostRunner(opts: { timeoutMs?: number } = {}): HostRunner {
  const history: string[][] = [];
  const run = (argv: string[]) => new Promise<string>((resolve, reject) => {
    history.push(argv);
    if (history.length > 10_000) history.splice(0, 5_000);
    execFile(argv[0], argv.slice(1), { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new HostCommandError(argv, (err as NodeJS.ErrnoException).code ?? null, String(stderr || err.message)));
      else resolve(String(stdout));
    });
  });
  return {
    run,
    async ipJson<T>(args: string[]) {
      const out = (await run(['ip', '-json', ...args])).trim();
      return out ? JSON.parse(out) as T[] : [];
    },
    history,
  };
}
