// The config drive: an ISO 9660 image labelled `config-2` (Rock Ridge and Joliet names, as Nova writes it) holding
// the files the metadata builder gave, so a guest configures itself without the metadata service.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import type { Logger } from '#lib/log.ts';
import type { ConfigDriveFiles } from '../hypervisor-driver.ts';

/** The tree's path of a file, refused when it would leave the tree (`..`, absolute) or names nothing. */
function safeRelative(name: string): string {
  const rel = normalize(name).replace(/^\/+/, '');
  if (!rel || rel === '.' || rel.split(sep).includes('..') || /[\0\n\r]/.test(rel)) throw new Error(`config drive path '${name}' is not a relative path inside the drive`);
  return rel;
}

/** Writes the ISO of `files` to `path` with genisoimage; the staging tree is removed whatever happens. */
export async function writeConfigDrive(path: string, files: ConfigDriveFiles, opts: { log: Logger; binary?: string }): Promise<void> {
  const staging = await mkdtemp(join(dirname(path), '.config-drive-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      const target = join(staging, safeRelative(name));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    const argv = [opts.binary ?? 'genisoimage', '-o', path, '-ldots', '-allow-lowercase', '-allow-multidot', '-l', '-V', 'config-2', '-r', '-J', '-quiet', staging];
    opts.log.debug({ argv }, 'genisoimage');
    await new Promise<void>((done, fail) => {
      execFile(argv[0], argv.slice(1), { timeout: 120_000 }, (err, _out, stderr) => {
        if (err) fail(new Error(`genisoimage failed: ${String(stderr).trim() || err.message}`));
        else done();
      });
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
