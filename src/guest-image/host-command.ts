// Every host tool the image build runs (apt-get, dpkg-deb, mtools, syslinux, qemu-img) goes through here: argv, never
// a shell, logged at debug level, and an error that names the command and what it printed.
import { execFile } from 'node:child_process';
import type { Logger } from '#lib/log.ts';

export interface RunOptions { cwd?: string; env?: NodeJS.ProcessEnv }

export type RunCommand = (argv: string[], opts?: RunOptions) => Promise<string>;

export function createCommandRunner(log: Logger): RunCommand {
  return (argv, opts = {}) => new Promise((resolve, reject) => {
    log.debug({ argv, cwd: opts.cwd }, 'guest image: running');
    execFile(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(String(stdout));
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : String(stderr).trim() || err.message;
      reject(new Error(`${argv.join(' ')} failed: ${why}`));
    });
  });
}
