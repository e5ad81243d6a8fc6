// The one wrapper the file driver uses to run qemu-img: argv arrays (never a shell), the exact argv logged at debug,
// a timeout, and the tool's stderr in the error when it fails.
import { execFile, spawn } from 'node:child_process';
import type { Logger } from '#lib/log.ts';

export interface QemuImg {
  run(args: string[]): Promise<string>;
  /** Runs a `convert` with -p, calling onProgress with each whole percent qemu-img reports (0–100). */
  convertWithProgress(args: string[], onProgress: (percent: number) => void): Promise<void>;
}

export function createQemuImg(opts: { log: Logger; binary?: string; timeoutMs?: number }): QemuImg {
  const binary = opts.binary ?? 'qemu-img';
  return {
    run(args) {
      opts.log.debug({ argv: [binary, ...args] }, 'qemu-img');
      return new Promise((done, fail) => {
        execFile(binary, args, { timeout: opts.timeoutMs ?? 600_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
          if (err) fail(new Error(`qemu-img ${args[0]} failed: ${String(stderr).trim() || err.message}`));
          else done(String(stdout));
        });
      });
    },
    convertWithProgress(args, onProgress) {
      const argv = ['convert', '-p', ...args];
      opts.log.debug({ argv: [binary, ...argv] }, 'qemu-img');
      return new Promise((done, fail) => {
        const child = spawn(binary, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 600_000 });
        let stderr = '';
        let last = -1;
        // -p writes "    (12.34/100%)" lines ended by carriage returns.
        child.stdout.setEncoding('utf8').on('data', (text: string) => {
          for (const m of text.matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)) {
            const percent = Math.floor(Number(m[1]));
            if (percent > last) { last = percent; onProgress(percent); }
          }
        });
        child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
        child.on('error', fail);
        child.on('close', (code, signal) => {
          if (code === 0) done();
          else fail(new Error(`qemu-img convert failed: ${stderr.trim() || `exit ${code ?? signal}`}`));
        });
      });
    },
  };
}
