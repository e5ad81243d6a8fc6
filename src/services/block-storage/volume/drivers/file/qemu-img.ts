// The one wrapper the file driver uses to run qemu-img: argv arrays (never a shell), the exact argv logged at debug,
// a timeout, and the tool's stderr in the error when it fails.
import { execFile } from 'node:child_process';
import type { Logger } from '#lib/log.ts';

export interface QemuImg {
  run(args: string[]): Promise<string>;
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
  };
}
