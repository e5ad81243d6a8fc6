// The guest image end to end without Stratus: build (or reuse) it, boot it with QEMU TCG, a config drive and user-mode
// networking, and check what the compute driver relies on: the READY line with hostname and address, SSH with the
// key from the config drive, user_data run, disks listed, and a clean poweroff on the ACPI power button.
// Skips (or with STRATUS_REQUIRE_SERVERS=1 fails) where QEMU, ssh or the build tools are missing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '#lib/log.ts';
import { requireServers } from '#lib/test-servers.ts';
import { defaultCacheDir, ensureGuestImage } from './build.ts';
import type { GuestImage } from './build.ts';

const TOOLS = ['qemu-system-x86_64', 'qemu-img', 'ssh', 'ssh-keygen', 'genisoimage', 'apt-get', 'dpkg-deb', 'mformat', 'mcopy', 'syslinux'];

function skipReason(): string | undefined {
  const missing = TOOLS.filter((t) => {
    try { execFileSync('sh', ['-c', `command -v "$1"`, 'sh', t], { stdio: 'ignore' }); return false; } catch { return true; }
  });
  if (!missing.length) return undefined;
  if (requireServers) throw new Error(`the guest image test needs ${missing.join(', ')} (STRATUS_REQUIRE_SERVERS=1)`);
  return `missing ${missing.join(', ')}; set STRATUS_REQUIRE_SERVERS=1 to make this a failure`;
}

function netnsSkipReason(): string | undefined {
  const missing = process.getuid?.() !== 0 ? 'root' : ['ip', 'busybox'].find((t) => {
    try { execFileSync('sh', ['-c', `command -v "$1"`, 'sh', t], { stdio: 'ignore' }); return false; } catch { return true; }
  });
  if (!missing) return undefined;
  if (requireServers) throw new Error(`the metadata-service boot test needs ${missing} (STRATUS_REQUIRE_SERVERS=1)`);
  return `needs ${missing} for a network namespace; set STRATUS_REQUIRE_SERVERS=1 to make this a failure`;
}

const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves with the console text once `pattern` appears in the file; rejects if QEMU exits or time runs out. */
function waitForConsole(file: string, pattern: RegExp, qemu: ChildProcess, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // The serial line ends lines with CR LF.
    const read = () => { try { return readFileSync(file, 'utf8').replace(/\r\n/g, '\n'); } catch { return ''; } };
    const done = (err?: Error) => {
      clearTimeout(timer); watcher.close(); qemu.off('exit', onExit);
      if (err) reject(err); else resolve(read());
    };
    const check = () => { if (pattern.test(read())) done(); };
    const onExit = (code: number | null) => done(new Error(`qemu exited (${code}) before ${pattern}; console:\n${read()}`));
    const timer = setTimeout(() => done(new Error(`no ${pattern} on the console within ${ms} ms; console:\n${read()}`)), ms);
    const watcher = watch(file, check);
    qemu.on('exit', onExit);
    check();
  });
}

/** Sends QMP commands in order on a fresh connection and resolves with their answers. */
async function qmp(socket: string, commands: object[]): Promise<unknown[]> {
  const conn = createConnection(socket);
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  conn.setEncoding('utf8');
  conn.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.includes('"event"')) continue;
      const w = waiting.shift();
      if (w) w(line); else lines.push(line);
    }
  });
  const next = () => new Promise<string>((resolve, reject) => {
    const l = lines.shift();
    if (l !== undefined) return resolve(l);
    waiting.push(resolve);
    conn.once('error', reject);
  });
  try {
    await next(); // the greeting
    const answers: unknown[] = [];
    for (const c of [{ execute: 'qmp_capabilities' }, ...commands]) {
      conn.write(`${JSON.stringify(c)}\n`);
      answers.push(JSON.parse(await next()));
    }
    return answers.slice(1);
  } finally {
    conn.destroy();
  }
}

interface Guest { qemu: ChildProcess; consoleLog: string; qmpSocket: string; port: number; exited: Promise<number | null> }

/**
 * Boots the image (writes go to a throw-away snapshot) with user-mode networking, SSH forwarded to a local port,
 * the serial console in a file and QMP on a socket; `prefix` runs QEMU inside something, e.g. a network namespace.
 */
async function startGuest(o: { image: GuestImage; dir: string; cdrom?: string; prefix?: string[] }): Promise<Guest> {
  const port = await freePort();
  const consoleLog = join(o.dir, 'console.log');
  writeFileSync(consoleLog, '');
  const qmpSocket = join(o.dir, 'qmp.sock');
  const argv = [...o.prefix ?? [], 'qemu-system-x86_64',
    '-machine', 'pc,accel=tcg', '-m', '256', '-display', 'none', '-serial', `file:${consoleLog}`,
    '-qmp', `unix:${qmpSocket},server=on,wait=off`,
    '-drive', `file=${o.image.path},format=${o.image.diskFormat},if=virtio,snapshot=on`,
    ...o.cdrom ? ['-drive', `file=${o.cdrom},format=raw,media=cdrom,if=ide,readonly=on`] : [],
    '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`, '-device', 'virtio-net-pci,netdev=n0',
  ];
  const qemu = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => qemu.once('exit', resolve));
  return { qemu, consoleLog, qmpSocket, port, exited };
}

async function stopGuest(guest: Guest | undefined): Promise<void> {
  if (!guest || guest.qemu.exitCode !== null || guest.qemu.signalCode !== null) return;
  guest.qemu.kill('SIGKILL');
  await guest.exited;
}

const waitForReady = (g: Guest) => waitForConsole(g.consoleLog, /STRATUS-GUEST-READY [^\n]*\n(?:[^\n]*\n)*?[^\n]*\bsr0\n/, g.qemu, 180_000);

async function sshHostname(key: string, port: number, prefix: string[] = []): Promise<string> {
  const argv = [...prefix, 'ssh', '-i', key, '-p', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=60', '-o', 'LogLevel=ERROR', 'root@127.0.0.1', 'hostname'];
  return (await run(argv[0], argv.slice(1), { timeout: 120_000 })).stdout.trim();
}

const newKey = async (dir: string) => {
  const key = join(dir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stratus-test', '-f', key]);
  return { key, publicKey: readFileSync(`${key}.pub`, 'utf8').trim() };
};

describe('cirros-like guest image', { skip: skipReason() }, () => {
  it('boots to the READY line, takes the config drive\'s key for SSH and powers off on the ACPI button', { timeout: 600_000 }, async () => {
    const image = await ensureGuestImage({ cacheDir: defaultCacheDir(), log: silentLogger() });
    assert.ok(image.size < 30 * 1024 * 1024, `the image is small (${image.size} bytes)`);
    assert.match(image.sha512, /^[0-9a-f]{128}$/);

    const dir = mkdtempSync(join(tmpdir(), 'stratus-guest-'));
    let guest: Guest | undefined;
    try {
      const { key, publicKey } = await newKey(dir);
      const hostname = `guest-${process.pid}`;
      const latest = join(dir, 'drive', 'openstack', 'latest');
      mkdirSync(latest, { recursive: true });
      writeFileSync(join(latest, 'meta_data.json'), JSON.stringify({
        uuid: '7f5e0c1e-9a51-4c1b-8d0e-3a7d1c2b9f00', name: hostname, hostname, public_keys: { test: publicKey },
      }));
      // Arithmetic, so the console shows the script ran rather than being printed.
      writeFileSync(join(latest, 'user_data'), '#!/bin/sh\necho "user-data-says-$((6 * 7))"\n');
      const iso = join(dir, 'config.iso');
      await run('genisoimage', ['-quiet', '-V', 'config-2', '-r', '-J', '-o', iso, join(dir, 'drive')]);

      guest = await startGuest({ image, dir, cdrom: iso });
      const text = await waitForReady(guest);
      assert.match(text, new RegExp(`^STRATUS-GUEST-READY hostname=${hostname} ip=10\\.0\\.2\\.15$`, 'm'));
      assert.match(text, /^user-data-says-42$/m);
      assert.match(text, /^\s+\d+\s+\d+\s+\d+ vda$/m, '/proc/partitions lists the boot disk');

      assert.equal(await sshHostname(key, guest.port), hostname);

      const [answer] = await qmp(guest.qmpSocket, [{ execute: 'system_powerdown' }]);
      assert.deepEqual(answer, { return: {} });
      const code = await Promise.race([guest.exited, new Promise((_, reject) => setTimeout(() => reject(new Error('qemu still runs 120 s after the power button')), 120_000).unref())]);
      assert.equal(code, 0, 'qemu exits on its own when the guest powers off');
      assert.match(readFileSync(guest.consoleLog, 'utf8'), /power button pressed/);
    } finally {
      await stopGuest(guest);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // User-mode networking connects the guest's TCP to the host's: inside a namespace where 169.254.169.254 is a local
  // address served by busybox httpd, the guest reaches "the metadata service" without touching the host's network.
  it('without a config drive, takes hostname, key and user_data from the EC2 paths of 169.254.169.254', { timeout: 600_000, skip: netnsSkipReason() }, async () => {
    const image = await ensureGuestImage({ cacheDir: defaultCacheDir(), log: silentLogger() });
    const dir = mkdtempSync(join(tmpdir(), 'stratus-guest-md-'));
    const ns = `stratus-test-md-${process.pid}`;
    const prefix = ['ip', 'netns', 'exec', ns];
    let guest: Guest | undefined;
    let httpd: ChildProcess | undefined;
    try {
      const { key, publicKey } = await newKey(dir);
      const hostname = `md-guest-${process.pid}`;
      const md = join(dir, 'www', 'latest', 'meta-data');
      mkdirSync(join(md, 'public-keys', '0'), { recursive: true });
      writeFileSync(join(md, 'hostname'), `${hostname}\n`);
      writeFileSync(join(md, 'public-keys', '0', 'openssh-key'), `${publicKey}\n`);
      writeFileSync(join(dir, 'www', 'latest', 'user-data'), '#!/bin/sh\necho "ec2-user-data-says-$((2 + 3))"\n');
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', ns, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
      httpd = spawn(prefix[0], [...prefix.slice(1), 'busybox', 'httpd', '-f', '-p', '169.254.169.254:80', '-h', join(dir, 'www')], { stdio: 'ignore' });

      guest = await startGuest({ image, dir, prefix });
      const text = await waitForReady(guest);
      assert.match(text, /metadata from http:\/\/169\.254\.169\.254/);
      assert.match(text, new RegExp(`^STRATUS-GUEST-READY hostname=${hostname} ip=10\\.0\\.2\\.15$`, 'm'));
      assert.match(text, /^ec2-user-data-says-5$/m);
      assert.equal(await sshHostname(key, guest.port, prefix), hostname);
    } finally {
      await stopGuest(guest);
      if (httpd && httpd.exitCode === null) {
        const gone = new Promise((resolve) => httpd!.once('exit', resolve));
        httpd.kill('SIGKILL');
        await gone;
      }
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
