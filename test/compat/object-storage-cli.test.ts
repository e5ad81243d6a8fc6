// Object Storage as the openstack CLI (python3-openstackclient, Zed) and the swift client (python3-swiftclient) see
// it: the compatibility contract with Swift v1 for containers and objects — create, list, show, set properties, save
// byte for byte, delete — the account, segmented uploads (SLO and DLO), bulk delete and archive extraction.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { tarArchive } from '#services/object-storage/api/test-tar.ts';
import { cliSkipReason, startCloud } from './harness.ts';
import type { CliOptions, CliResult, RunningCloud } from './harness.ts';

const skip = cliSkipReason();
const SWIFT_CLI = '/usr/bin/swift';
/** The Debian `swift` client (python3-swiftclient) is optional: its test skips without it. */
const swiftSkip = existsSync(SWIFT_CLI) ? undefined : `${SWIFT_CLI} is missing (apt-get install python3-swiftclient)`;
let cloud: RunningCloud;

type Row = Record<string, unknown>;
const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;
const json = <T = Row>(args: string[], opts?: CliOptions): Promise<T> => cloud.openstackJson<T>(args, opts);
const ok = (args: string[], opts?: CliOptions): Promise<CliResult> => cloud.ok(args, opts);
const fails = (args: string[], why: RegExp, opts?: CliOptions): Promise<CliResult> => cloud.fails(args, why, opts);
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** The swift client as the cloud's admin (`--opt=value`: a random password may start with a dash). */
const swiftRun = (args: string[]) => new Promise<{ stdout: string; stderr: string }>((done, fail) => {
  execFile(SWIFT_CLI, [`--os-auth-url=${cloud.authUrl}`, '--auth-version=3', '--os-username=admin', `--os-password=${cloud.adminPassword}`,
    '--os-project-name=admin', '--os-user-domain-name=Default', '--os-project-domain-name=Default', ...args],
  { cwd: cloud.dataDir, timeout: 120_000 }, (err, stdout, stderr) => (err ? fail(new Error(`swift ${args.join(' ')}: ${stderr}`)) : done({ stdout: String(stdout), stderr: String(stderr) })));
});
const swift = async (args: string[]): Promise<string> => (await swiftRun(args)).stdout;
const field = (stat: string, name: string): string | undefined => new RegExp(`^\\s*${name}: (.*)$`, 'm').exec(stat)?.[1];

describe('object storage through the openstack CLI', { skip }, () => {
  before(async () => { cloud = await startCloud(); });
  after(async () => {
    if (!cloud) return;
    await cloud.stop().catch(() => undefined);
    rmSync(cloud.dataDir, { recursive: true, force: true });
  });

  it('the swift client: directory upload, paged delimiter listing, stat, and a TempURL fetched without a token', { skip: swiftSkip }, async () => {
    const container = unique('swift');
    mkdirSync(join(cloud.dataDir, 'tree', 'sub'), { recursive: true });
    writeFileSync(join(cloud.dataDir, 'tree', 'a.txt'), 'one');
    writeFileSync(join(cloud.dataDir, 'tree', 'sub', 'b.txt'), 'two');
    await swift(['upload', container, 'tree']);
    await swift(['post', '-m', 'Temp-URL-Key:swift-key']);
    // The client pages with the last subdir as its marker: the listing must move on past it.
    assert.equal(await swift(['list', container, '--prefix', 'tree/', '--delimiter', '/']), 'tree/a.txt\ntree/sub/\n');
    const stat = await swift(['stat', container, 'tree/sub/b.txt']);
    assert.match(stat, /Content Length: 3/);
    const account = /Account: (AUTH_\w+)/.exec(stat)![1];
    const signed = (await swift(['tempurl', 'GET', '300', `/v1/${account}/${container}/tree/sub/b.txt`, 'swift-key'])).trim();
    const got = await fetch(`http://127.0.0.1:${cloud.ports.object_storage}${signed}`);
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'two');
    await swift(['delete', container]);
    await swift(['post', '-m', 'Temp-URL-Key:']);
  });

  it('the swift client: segmented uploads as SLO and DLO download byte for byte; delete takes the segments along', { skip: swiftSkip }, async () => {
    const container = unique('large');
    const data = randomBytes(3 * 1024 * 1024 + 12345);
    writeFileSync(join(cloud.dataDir, 'large.bin'), data);
    await swift(['upload', '--segment-size', '1M', '--use-slo', '--object-name', 'slo.bin', container, 'large.bin']);
    await swift(['upload', '--segment-size', '1M', '--object-name', 'dlo.bin', container, 'large.bin']);
    const segments = (await swift(['list', `${container}_segments`])).trim().split('\n');
    assert.equal(segments.filter((s) => s.startsWith('slo.bin/slo/')).length, 4);
    assert.equal(segments.filter((s) => s.startsWith('dlo.bin/')).length, 4);
    for (const name of ['slo.bin', 'dlo.bin']) {
      await swift(['download', container, name, '--output', join(cloud.dataDir, `got-${name}`)]);
      assert.ok(readFileSync(join(cloud.dataDir, `got-${name}`)).equals(data), `${name} downloads byte for byte`);
    }
    const sloStat = await swift(['stat', container, 'slo.bin']);
    assert.equal(field(sloStat, 'Content Length'), String(data.length));
    assert.equal(field(sloStat, 'X-Static-Large-Object'), 'True');
    const segmentMd5s = Array.from({ length: 4 }, (_, i) => md5(data.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024))).join('');
    assert.equal(field(sloStat, 'ETag'), `"${md5(Buffer.from(segmentMd5s))}"`);
    const dloStat = await swift(['stat', container, 'dlo.bin']);
    assert.match(field(dloStat, 'Manifest') ?? '', new RegExp(`^${container}_segments/dlo\\.bin/`));
    assert.equal(field(dloStat, 'Content Length'), String(data.length));
    // The listing shows each large object's full size.
    const listed = await json<Row[]>(['object', 'list', '--long', container]);
    assert.deepEqual(listed.map((o) => [o.Name, o.Bytes]), [['dlo.bin', 0], ['slo.bin', data.length]]);
    await swift(['delete', container, 'slo.bin', 'dlo.bin']);
    assert.equal((await swift(['list', `${container}_segments`])).trim(), '', 'both uploads\' segments are gone');
    await swift(['delete', container]);
    await swift(['delete', `${container}_segments`]);
  });

  it('the swift client deletes many objects with bulk delete, and an archive extracts through ?extract-archive', { skip: swiftSkip }, async () => {
    const container = unique('bulk');
    // swiftclient 4.1 has no extract-archive option: the archive goes up with a plain request.
    const { id: token } = await json<{ id: string }>(['token', 'issue']);
    const account = /Account: (AUTH_\w+)/.exec(await swift(['stat']))![1];
    const archive = gzipSync(tarArchive(Array.from({ length: 25 }, (_, i) => ({ name: `${container}/dir/file-${i}.txt`, data: `file ${i}` }))));
    const extracted = await fetch(`http://127.0.0.1:${cloud.ports.object_storage}/v1/${account}?extract-archive=tar.gz`, {
      method: 'PUT', body: archive, headers: { 'x-auth-token': token, accept: 'application/json' },
    });
    assert.equal(extracted.status, 200);
    assert.deepEqual(await extracted.json(), { 'Response Status': '201 Created', 'Response Body': '', 'Number Files Created': 25, Errors: [] });
    const names = (await swift(['list', container])).trim().split('\n');
    assert.equal(names.length, 25);
    assert.equal(await swift(['download', container, 'dir/file-7.txt', '--output', '-']), 'file 7');
    // More objects than twice the client's delete threads: it checks /info and deletes them in bulk requests.
    const { stdout, stderr } = await swiftRun(['--debug', 'delete', container, ...names]);
    assert.equal(stdout.trim().split('\n').length, 25, 'each object is reported deleted');
    assert.match(stderr, /bulk-delete/, 'the client used bulk delete');
    assert.doesNotMatch(stderr, /-X DELETE/, 'no object was deleted one by one');
    assert.equal((await swift(['list', container])).trim(), '');
    await swift(['delete', container]);
  });

  it('a --public container serves its objects and listing to anyone, with no token', async () => {
    const container = unique('public');
    const path = join(cloud.dataDir, 'page.html');
    writeFileSync(path, '<p>hello</p>');
    await json<Row[]>(['container', 'create', '--public', container]);
    await json<Row[]>(['object', 'create', '--name', 'index.html', container, path]);
    const [shown, account] = await Promise.all([json(['container', 'show', container]), json(['object', 'store', 'account', 'show'])]);
    assert.equal(shown.read_acl, '.r:*,.rlistings');
    const url = `http://127.0.0.1:${cloud.ports.object_storage}/v1/${String(account.Account)}/${container}`;
    const object = await fetch(`${url}/index.html`);
    assert.equal(object.status, 200);
    assert.equal(await object.text(), '<p>hello</p>');
    assert.equal(object.headers.get('content-type'), 'text/html');
    assert.equal(await (await fetch(url)).text(), 'index.html\n');
    assert.equal((await fetch(`${url}/index.html`, { method: 'DELETE' })).status, 401);
    await fails(['container', 'create', '--storage-policy', 'gold', unique('gold')], /Invalid X-Storage-Policy|400/);
    await ok(['container', 'delete', '--recursive', container]);
  });

  it('containers and objects: create, list, show, set properties, save byte for byte, delete; the account shows the totals', async () => {
    const container = unique('box');
    const data = randomBytes(300 * 1024 + 7);
    const path = join(cloud.dataDir, 'upload.bin');
    writeFileSync(path, data);

    const created = await json<Row[]>(['container', 'create', container]);
    assert.equal(created[0].container, container);
    const uploaded = await json<Row[]>(['object', 'create', '--name', 'dir/data.bin', container, path]);
    assert.equal(uploaded[0].etag, md5(data));

    await ok(['container', 'set', '--property', 'team=storage', container]);
    await ok(['object', 'set', '--property', 'color=blue', container, 'dir/data.bin']);
    const [containers, objects, byPrefix, shownContainer, shownObject, catalog] = await Promise.all([
      json<Row[]>(['container', 'list']),
      json<Row[]>(['object', 'list', '--long', container]),
      json<Row[]>(['object', 'list', '--prefix', 'dir/', '--delimiter', '/', container]),
      json(['container', 'show', container]),
      json(['object', 'show', container, 'dir/data.bin']),
      json(['catalog', 'show', 'object-store']),
    ]);
    // Identity fills the project into the endpoint's AUTH_%(project_id)s.
    assert.match(JSON.stringify(catalog.endpoints), /\/v1\/AUTH_[0-9a-f]{32}/);
    assert.ok(containers.some((c) => c.Name === container));
    assert.deepEqual(objects.map((o) => [o.Name, o.Bytes, o.Hash]), [['dir/data.bin', data.length, md5(data)]]);
    assert.deepEqual(byPrefix.map((o) => o.Name), ['dir/data.bin']);
    assert.equal(shownContainer.object_count, '1');
    assert.equal(shownContainer.bytes_used, String(data.length));
    assert.deepEqual(shownContainer.properties, { team: 'storage' });
    assert.equal(shownObject.etag, md5(data));
    assert.equal(shownObject['content-length'], String(data.length));
    assert.deepEqual(shownObject.properties, { color: 'blue' });

    await ok(['object', 'store', 'account', 'set', '--property', 'owner=ops']);
    const account = await json(['object', 'store', 'account', 'show']);
    assert.deepEqual(account.properties, { owner: 'ops' });
    assert.equal(account.Containers, '1');
    assert.equal(account.Objects, '1');
    assert.equal(account.Bytes, String(data.length));

    const saved = join(cloud.dataDir, 'saved.bin');
    await ok(['object', 'save', '--file', saved, container, 'dir/data.bin']);
    assert.ok(readFileSync(saved).equals(data), 'downloaded bytes are the uploaded bytes');

    await fails(['container', 'delete', container], /409|Conflict|conflict/);
    await ok(['object', 'delete', container, 'dir/data.bin']);
    await fails(['object', 'show', container, 'dir/data.bin'], /404|Not Found/i);
    await ok(['container', 'delete', container]);
    const after = await json<Row[]>(['container', 'list']);
    assert.ok(!after.some((c) => c.Name === container));
  });

  it('the swift client: X-Versions-Location and X-History-Location keep old versions, CORS metadata answers a browser, curl posts a signed form', { skip: swiftSkip }, async () => {
    const container = unique('versioned');
    const archive = `${container}-archive`;
    await swift(['post', archive]);
    await swift(['post', '-H', `X-Versions-Location: ${archive}`, container]);
    assert.match(await swift(['stat', container]), new RegExp(`Versions-Location: ${archive}`, 'i'));
    const file = join(cloud.dataDir, 'doc.txt');
    for (const text of ['version 1', 'version 2', 'version 3']) {
      writeFileSync(file, text);
      await swift(['upload', '--object-name', 'doc.txt', container, file]);
    }
    const archived = (await swift(['list', archive])).trim().split('\n');
    assert.equal(archived.length, 2);
    for (const name of archived) assert.match(name, /^007doc\.txt\/\d{10}\.\d{5}$/);
    await swift(['delete', container, 'doc.txt']);
    assert.equal(await swift(['download', container, 'doc.txt', '--output', '-']), 'version 2', 'the DELETE brought the previous version back');

    await swift(['post', '-H', `X-History-Location: ${archive}`, container]);
    await swift(['delete', container, 'doc.txt']);
    await assert.rejects(swift(['download', container, 'doc.txt', '--output', '-']), /404|Not Found/i);
    assert.equal((await swift(['list', archive])).trim().split('\n').length, 3, 'the deleted version and a delete marker were archived');

    await swift(['post', '-m', 'Access-Control-Allow-Origin:https://app.example', '-m', 'Access-Control-Max-Age:60', '-m', 'Temp-URL-Key:form-key', container]);
    const account = /Account: (AUTH_\w+)/.exec(await swift(['stat']))![1];
    const url = `http://127.0.0.1:${cloud.ports.object_storage}/v1/${account}/${container}`;
    const preflight = await fetch(`${url}/doc.txt`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(preflight.headers.get('access-control-max-age'), '60');
    assert.equal((await fetch(`${url}/doc.txt`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } })).status, 401);

    // A browser-style form upload: fields first, then the file, signed with the container's key.
    const expires = Math.floor(Date.now() / 1000) + 300;
    const formPath = `/v1/${account}/${container}/forms/`;
    const signature = createHmac('sha256', 'form-key').update(`${formPath}\n\n1048576\n1\n${expires}`).digest('hex');
    writeFileSync(file, 'uploaded by a form');
    const posted = await new Promise<string>((done, fail) => execFile('curl', ['-sS', '-F', 'max_file_size=1048576', '-F', 'max_file_count=1',
      '-F', `expires=${expires}`, '-F', `signature=${signature}`, '-F', `file=@${file}`, `${url}/forms/`], (err, stdout) => (err ? fail(err) : done(String(stdout)))));
    assert.equal(posted, '201 Created');
    assert.equal(await swift(['download', container, 'forms/doc.txt', '--output', '-']), 'uploaded by a form');

    await swift(['post', '-H', 'X-Remove-History-Location: x', container]);
    await swift(['delete', container]);
    await swift(['delete', archive]);
  });
});
