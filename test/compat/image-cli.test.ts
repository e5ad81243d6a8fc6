// The Image service as the openstack CLI (python3-openstackclient, Zed) sees it: the compatibility contract with
// Glance v2 for create/upload, list filters, show, set/unset, save, sharing with another project, and delete; and, on
// this cloud's two stores (file and Object Storage), multi-store import, copy-image and store removal through the
// glance CLI (python3-glanceclient, Zed), the client that offers them (OSC 6.0 has no `image import`).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { requireServers } from '#lib/test-servers.ts';
import { cliSkipReason, startCloud } from './harness.ts';
import type { CliOptions, CliResult, RunningCloud } from './harness.ts';
import { qcow2Header } from '../../src/services/image/domain/test-disk-images.ts';

const skip = cliSkipReason();
let cloud: RunningCloud;

type Row = Record<string, unknown>;
const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;
const json = <T = Row>(args: string[], opts?: CliOptions): Promise<T> => cloud.openstackJson<T>(args, opts);
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

const ok = (args: string[], opts?: CliOptions): Promise<CliResult> => cloud.ok(args, opts);
const fails = (args: string[], why: RegExp, opts?: CliOptions): Promise<CliResult> => cloud.fails(args, why, opts);

/** Writes `data` into the cloud's data directory and returns the path. */
function file(name: string, data: Buffer): string {
  const path = join(cloud.dataDir, name);
  writeFileSync(path, data);
  return path;
}

/** A small qcow2: made by qemu-img when it is installed, else a crafted header followed by zeros. */
function qcow2File(name: string): { path: string; virtualSize: number } {
  const path = join(cloud.dataDir, name);
  if (existsSync('/usr/bin/qemu-img')) {
    execFileSync('/usr/bin/qemu-img', ['create', '-q', '-f', 'qcow2', path, '64M']);
    return { path, virtualSize: 64 << 20 };
  }
  writeFileSync(path, Buffer.concat([qcow2Header({ size: 64n << 20n }), Buffer.alloc(65536)]));
  return { path, virtualSize: 64 << 20 };
}

const props = (image: Row): Row => (image.properties ?? {}) as Row;

const GLANCE_CLI = '/usr/bin/glance';
function glanceSkipReason(): string | undefined {
  if (existsSync(GLANCE_CLI)) return undefined;
  if (requireServers) throw new Error(`${GLANCE_CLI} is required (STRATUS_REQUIRE_SERVERS=1) but missing: apt-get install python3-glanceclient`);
  return `${GLANCE_CLI} is missing (apt-get install python3-glanceclient)`;
}

/** Runs the glance CLI as the cloud's admin (its OS_* variables from clouds.yaml), `input` on its stdin; never rejects. */
function glance(args: string[], input?: Buffer): Promise<CliResult> {
  const cfg = (parse(readFileSync(cloud.cloudsYaml, 'utf8')) as { clouds: Record<string, { auth: Record<string, string>; region_name: string }> }).clouds.stratus;
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cloud.dataDir, OS_AUTH_URL: cfg.auth.auth_url, OS_USERNAME: cfg.auth.username,
    OS_PASSWORD: cfg.auth.password, OS_PROJECT_NAME: cfg.auth.project_name, OS_USER_DOMAIN_NAME: cfg.auth.user_domain_name,
    OS_PROJECT_DOMAIN_NAME: cfg.auth.project_domain_name, OS_REGION_NAME: cfg.region_name,
  };
  return new Promise((done) => {
    const child = execFile(GLANCE_CLI, args, { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin!.end(input);
  });
}

/** Shows the image until no import runs on it (copy-image goes on after its 202), then returns it. */
async function importEnded(name: string): Promise<Row> {
  for (let i = 0; i < 60; i++) {
    const image = await json(['image', 'show', name]);
    if (props(image).os_glance_importing_to_stores === '' && props(image).os_glance_import_task === undefined) return image;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the import of ${name} did not end`);
}

describe('image through the openstack CLI', { skip }, () => {
  // Two stores, the file store the default: every test also runs where an image may live in several stores.
  before(async () => { cloud = await startCloud({ env: { STRATUS_IMAGE_STORES: 'file,object-store', STRATUS_IMAGE_DEFAULT_STORE: 'file' } }); });
  after(async () => {
    if (!cloud) return;
    await cloud.stop().catch(() => undefined);
    rmSync(cloud.dataDir, { recursive: true, force: true });
  });

  describe('one running cloud', { concurrency: 3 }, () => {
    it('a raw image is created from a file with properties, listed with filters, shown, saved byte for byte and deleted', async () => {
      const name = unique('raw');
      const data = randomBytes(256 * 1024 + 17);
      const created = await json(['image', 'create', '--file', file(`${name}.img`, data), '--disk-format', 'raw', '--public', '--property', 'os_distro=debian', '--min-ram', '256', name]);
      assert.equal(created.name, name);
      assert.equal(created.visibility, 'public');
      assert.equal(props(created).os_distro, 'debian');

      const [shown, byName, publicOnes, byProperty, catalog] = await Promise.all([
        json(['image', 'show', name]),
        json<Row[]>(['image', 'list', '--name', name, '--long']),
        json<Row[]>(['image', 'list', '--public']),
        json<Row[]>(['image', 'list', '--property', 'os_distro=debian']),
        json<Row[]>(['catalog', 'list']),
      ]);
      assert.equal(shown.status, 'active');
      assert.equal(shown.size, data.length);
      assert.equal(shown.checksum, md5(data));
      assert.equal(shown.virtual_size, data.length);
      assert.equal(shown.min_ram, 256);
      assert.equal(props(shown).os_hash_algo, 'sha512');
      assert.equal(props(shown).os_hash_value, createHash('sha512').update(data).digest('hex'));
      assert.deepEqual(byName.map((i) => [i.Name, i.Status, i['Disk Format'], i.Checksum, i.Visibility]), [[name, 'active', 'raw', md5(data), 'public']]);
      assert.ok(publicOnes.some((i) => i.Name === name));
      assert.ok(byProperty.some((i) => i.Name === name));
      const image = catalog.find((s) => s.Type === 'image');
      assert.equal(image?.Name, 'glance');

      const saved = join(cloud.dataDir, `${name}.saved`);
      await ok(['image', 'save', '--file', saved, name]);
      assert.ok(readFileSync(saved).equals(data), 'downloaded bytes are the uploaded bytes');
      await ok(['image', 'delete', name]);
      await fails(['image', 'show', name], /No Image found|Could not find resource/i);
    });

    it('a qcow2 image gets its virtual size from the header; properties, tags and protection are set and unset', async () => {
      const name = unique('qcow2');
      const { path, virtualSize } = qcow2File(`${name}.qcow2`);
      const created = await json(['image', 'create', '--file', path, '--disk-format', 'qcow2', '--private', '--tag', 'first', name]);
      assert.equal(created.disk_format, 'qcow2');
      await ok(['image', 'set', '--property', 'hw_disk_bus=scsi', '--property', 'hw_scsi_model=virtio-scsi', '--tag', 'second', '--protected', '--name', `${name}-renamed`, name]);
      const renamed = `${name}-renamed`;
      const shown = await json(['image', 'show', renamed]);
      assert.equal(shown.status, 'active');
      assert.equal(shown.virtual_size, virtualSize);
      assert.equal(shown.visibility, 'private');
      assert.equal(shown.protected, true);
      assert.equal(props(shown).hw_disk_bus, 'scsi');
      assert.deepEqual([...(shown.tags as string[])].sort(), ['first', 'second']);
      const [tagged, hidden] = await Promise.all([json<Row[]>(['image', 'list', '--tag', 'second', '--private']), json<Row[]>(['image', 'list', '--hidden'])]);
      assert.ok(tagged.some((i) => i.Name === renamed));
      assert.ok(!hidden.some((i) => i.Name === renamed));
      await fails(['image', 'delete', renamed], /protected|403/i);

      await ok(['image', 'unset', '--property', 'hw_disk_bus', '--tag', 'first', renamed]);
      await ok(['image', 'set', '--unprotected', renamed]);
      const after = await json(['image', 'show', renamed]);
      assert.equal(props(after).hw_disk_bus, undefined);
      assert.equal(props(after).hw_scsi_model, 'virtio-scsi');
      assert.deepEqual(after.tags, ['second']);
      assert.equal(after.protected, false);
      await ok(['image', 'delete', renamed]);
    });

    it('a shared image is added to another project, accepted by it, listed and downloaded there', async () => {
      const name = unique('shared');
      const member = unique('member');
      const password = `P${randomBytes(12).toString('base64url')}`;
      const data = randomBytes(64 * 1024);
      const [user, project] = await Promise.all([
        json(['user', 'create', '--password', password, member]),
        json(['project', 'create', member]),
        json(['image', 'create', '--file', file(`${name}.img`, data), '--disk-format', 'raw', '--shared', name]),
      ]);
      await ok(['role', 'add', '--user', user.id as string, '--project', project.id as string, 'member']);
      cloud.addCloud(member, { username: member, password, projectId: project.id as string });
      const as = { cloud: member };

      await fails(['image', 'show', name], /No Image found|Could not find/i, as);
      const added = await json(['image', 'add', 'project', name, member]);
      assert.equal(added.status, 'pending');
      const imageId = added.image_id as string;
      const [pending, accepted] = await Promise.all([
        json<Row[]>(['image', 'list', '--member-status', 'pending'], as),
        json<Row[]>(['image', 'list'], as),
      ]);
      assert.ok(pending.some((i) => i.ID === imageId), 'the pending image is listed when asked for');
      assert.ok(!accepted.some((i) => i.ID === imageId), 'but not by default');
      await ok(['image', 'set', '--accept', imageId], as);
      const [listed, members] = await Promise.all([
        json<Row[]>(['image', 'list'], as),
        json<Row[]>(['image', 'member', 'list', name]),
      ]);
      assert.ok(listed.some((i) => i.ID === imageId && i.Name === name));
      assert.deepEqual(members.map((m) => [m['Member ID'], m.Status]), [[project.id, 'accepted']]);
      const saved = join(cloud.dataDir, `${name}.member`);
      await ok(['image', 'save', '--file', saved, imageId], as);
      assert.ok(readFileSync(saved).equals(data));
      await fails(['image', 'delete', imageId], /Failed to delete/, as);

      await ok(['image', 'remove', 'project', name, member]);
      await fails(['image', 'show', imageId], /No Image found|Could not find/i, as);
      await ok(['image', 'delete', name]);
    });

    it('an image created with --import goes through stage and glance-direct import, and saves byte for byte', async () => {
      const name = unique('import');
      const data = randomBytes(128 * 1024 + 5);
      await ok(['image', 'create', '--import', '--file', file(`${name}.img`, data), '--disk-format', 'raw', '--container-format', 'bare', name]);
      const shown = await json(['image', 'show', name]);
      assert.equal(shown.status, 'active');
      assert.equal(shown.size, data.length);
      assert.equal(shown.checksum, md5(data));
      assert.equal(props(shown).os_glance_failed_import, '');
      const saved = join(cloud.dataDir, `${name}.saved`);
      await ok(['image', 'save', '--file', saved, name]);
      assert.ok(readFileSync(saved).equals(data), 'downloaded bytes are the staged bytes');
      await ok(['image', 'delete', name]);
    });

    it('an image imported into the default store is copied into Object Storage, shown in both, read from the copy left, and deleted', { skip: glanceSkipReason() }, async () => {
      const name = unique('copied');
      const data = randomBytes(96 * 1024 + 3);
      await ok(['image', 'create', '--import', '--file', file(`${name}.img`, data), '--disk-format', 'raw', '--container-format', 'bare', name]);
      const created = await json(['image', 'show', name]);
      assert.equal(props(created).stores, 'file');
      const id = created.id as string;
      const info = await glance(['stores-info', '--detail']);
      assert.equal(info.code, 0, info.stderr);
      assert.match(info.stdout, /"object-store"/);
      assert.match(info.stdout, /"type": "swift"/);

      const copied = await glance(['image-import', id, '--import-method', 'copy-image', '--stores', 'object-store']);
      assert.equal(copied.code, 0, copied.stderr);
      const shown = await importEnded(name);
      assert.equal(shown.status, 'active');
      assert.equal(props(shown).stores, 'file,object-store');
      assert.equal(props(shown).os_glance_failed_import, '');
      // Reads come from the first copy; with the file store's gone, Object Storage's serves the same bytes.
      rmSync(join(cloud.dataDir, 'images', id));
      const saved = join(cloud.dataDir, `${name}.saved`);
      await ok(['image', 'save', '--file', saved, name]);
      assert.ok(readFileSync(saved).equals(data), 'the Object Storage copy is the image');
      // Refused (400: already there); glanceclient prints the message it reads from Glance's HTML error page.
      const again = await glance(['image-import', id, '--import-method', 'copy-image', '--stores', 'object-store']);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /400 Bad Request: Image is already present at store 'object-store'/);
      assert.equal(props(await json(['image', 'show', name])).os_glance_import_task, undefined, 'no import started');

      await ok(['image', 'delete', name]);
      await fails(['image', 'show', name], /No Image found|Could not find resource/i);
    });

    it('glance image-create-via-import puts a copy in each store it names; stores-delete removes one copy, never the last', { skip: glanceSkipReason() }, async () => {
      const name = unique('two-stores');
      const data = randomBytes(64 * 1024);
      // glanceclient reads the data from stdin when stdin is not a terminal (and then refuses --file).
      const created = await glance(['image-create-via-import', '--name', name, '--disk-format', 'raw', '--container-format', 'bare',
        '--stores', 'file,object-store', '--allow-failure', 'False'], data);
      assert.equal(created.code, 0, created.stderr);
      const shown = await json(['image', 'show', name]);
      assert.equal(shown.status, 'active');
      assert.equal(props(shown).stores, 'file,object-store');
      const id = shown.id as string;
      assert.ok(existsSync(join(cloud.dataDir, 'images', id)));

      const removed = await glance(['stores-delete', id, '--store', 'file']);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal(props(await json(['image', 'show', name])).stores, 'object-store');
      assert.ok(!existsSync(join(cloud.dataDir, 'images', id)), 'the file store\'s copy is deleted');
      const last = await glance(['stores-delete', id, '--store', 'object-store']);
      assert.notEqual(last.code, 0, 'the last copy is never removed');
      assert.doesNotMatch(last.stderr, /has no attribute/, 'glanceclient parses the error page');
      assert.equal(props(await json(['image', 'show', name])).stores, 'object-store');
      await ok(['image', 'delete', name]);
    });

    it('a qcow2 with a backing file uploaded as raw is refused with the reason, and nothing stays stored', async () => {
      const name = unique('lie');
      const path = file(`${name}.img`, Buffer.concat([qcow2Header({ backing: '/etc/shadow' }), randomBytes(8192)]));
      await fails(['image', 'create', '--file', path, '--disk-format', 'raw', name], /backing file/);
      // openstacksdk deletes the image after a failed upload; either way no data may remain.
      const left = await json<Row[]>(['image', 'list', '--name', name]);
      assert.ok(left.every((i) => i.Status === 'queued'), JSON.stringify(left));
    });
  });
});
