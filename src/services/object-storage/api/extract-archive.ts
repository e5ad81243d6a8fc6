// PUT ?extract-archive=tar|tar.gz: every regular file of the archive becomes an object below the request's path
// (at account level, the first directory names the container, created as needed), streamed straight from the
// request into the replicas; the answer is a bulk report. tar.bz2 is decompressed by bunzip2.ts, as it streams.
import { createGunzip } from 'node:zlib';
import { Bzip2Error, bunzip2 } from './bunzip2.ts';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, Unauthorized, isStratusError } from '#lib/errors.ts';
import { ensureAccount } from '../db/accounts-repo.ts';
import { createContainer, getContainer } from '../db/containers-repo.ts';
import { quoteName, statusLine } from '../domain/bulk-report.ts';
import type { BulkReport } from '../domain/bulk-report.ts';
import { validContentType } from '../domain/content-type.ts';
import { lengthRequired } from '../domain/errors.ts';
import { CONSTRAINTS, checkContainerName, checkObjectName } from '../domain/names.ts';
import { authorize } from './access.ts';
import { sendBulkReport } from './bulk-response.ts';
import type { ProxyDeps } from './deps.ts';
import { header, newTimestamp } from './deps.ts';
import { storeObject } from './object-write.ts';
import type { SwiftPath } from './swift-path.ts';
import { readTar } from './tar-reader.ts';
import type { TarEntry } from './tar-reader.ts';

export const BULK_UPLOAD_LIMITS = { maxContainersPerExtraction: 10000, maxFailedExtractions: 1000 } as const;

const MAX_PATH_LENGTH = CONSTRAINTS.max_object_name_length + CONSTRAINTS.max_container_name_length + 2;
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A header value as Node sends it: UTF-8 bytes as latin1 text, without control characters. */
const headerText = (s: string): string | undefined => {
  const v = Buffer.from(s, 'utf8').toString('latin1');
  return /[\x00-\x08\x0a-\x1f\x7f]/.test(v) ? undefined : v;
};

type Headers = Record<string, string | string[] | undefined>;

/**
 * The headers an extracted file is stored with: the request's X-Delete-At/-After and X-Object-Meta-*, then what the
 * member's pax records say (user.mime_type → Content-Type, user.meta.* → metadata, as GNU and BSD tar store xattrs).
 * Undefined when a record cannot be a header.
 */
function fileHeaders(req: FastifyRequest, entry: TarEntry): Headers | undefined {
  const h: Headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (k === 'x-delete-at' || k === 'x-delete-after' || k.startsWith('x-object-meta-')) h[k] = v;
  for (const [key, value] of Object.entries(entry.pax)) {
    const meta = /^(?:SCHILY|LIBARCHIVE)\.xattr\.user\.meta\.(.+)$/s.exec(key);
    const isType = key === 'SCHILY.xattr.user.mime_type' || key === 'LIBARCHIVE.xattr.user.mime_type';
    if (!meta && !isType) continue;
    const v = headerText(value);
    if (v === undefined || (meta && !HTTP_TOKEN.test(meta[1]))) return undefined;
    if (isType) {
      if (!validContentType(v)) return undefined;
      h['content-type'] = v;
    } else {
      h[`x-object-meta-${meta![1].toLowerCase()}`] = v;
    }
  }
  return h;
}

/** Creates the container when it does not exist (the caller needs account write rights for that); true if created. */
async function ensureContainer(deps: ProxyDeps, req: FastifyRequest, account: string, name: string): Promise<boolean> {
  if (await getContainer(deps.db, account, name)) return false;
  authorize(deps, req, 'account-write', account);
  const now = new Date().toISOString();
  await ensureAccount(deps.db, account, now);
  return createContainer(deps.db, { account, name, now, timestamp: newTimestamp(), meta: {} });
}

/** The archive's bytes; a corrupt gzip stream fails with 400 wherever it is noticed (between or inside members). */
async function* inflated(raw: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of pipeline(raw, createGunzip(), () => undefined)) yield chunk as Buffer;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('Z_')) throw new BadRequest(`Invalid Tar File: ${(err as Error).message}`);
    throw err;
  }
}

/** The archive's bytes from a bzip2 stream; corrupt or truncated data fails with 400 wherever it is noticed. */
async function* bunzipped(raw: Readable): AsyncGenerator<Buffer> {
  try {
    yield* bunzip2(raw);
  } catch (err) {
    if (err instanceof Bzip2Error) throw new BadRequest(`Invalid Tar File: ${err.message}`);
    throw err;
  }
}

const isArchiveError = (err: unknown): boolean => err instanceof BadRequest && err.message.startsWith('Invalid Tar File');

async function extract(deps: ProxyDeps, req: FastifyRequest, target: SwiftPath, compression: 'gz' | 'bz2' | undefined, report: BulkReport): Promise<void> {
  if (header(req, 'content-length') === undefined && !/chunked/i.test(header(req, 'transfer-encoding') ?? '')) throw lengthRequired();
  const base = [target.container, target.object].filter((p) => p !== undefined).join('/').replace(/\/+$/, '');
  const raw = (req.body as Readable | undefined) ?? req.raw;
  const source: AsyncIterable<Buffer> = compression === 'gz' ? inflated(raw) : compression === 'bz2' ? bunzipped(raw) : raw;
  const failures = report.errors;
  const accessed = new Set<string>();
  let created = 0;
  let containersCreated = 0;
  let serverError = false;
  const fail = (name: string, status: number | string) => {
    failures.push([quoteName(name.slice(0, MAX_PATH_LENGTH)), typeof status === 'number' ? statusLine(status) : status]);
  };
  try {
    for await (const entry of readTar(source)) {
      if (failures.length >= BULK_UPLOAD_LIMITS.maxFailedExtractions) break;
      if (entry.kind !== 'file') continue;
      if (entry.name === undefined) {
        fail(base, 412);
        continue;
      }
      let name = entry.name.startsWith('./') ? entry.name.slice(2) : entry.name;
      name = name.replace(/^\/+/, '');
      if (base) name = `${base}/${name}`;
      // Files beside the containers (no directory) have nowhere to go.
      if (!name.includes('/')) continue;
      const at = name.indexOf('/');
      const path = { account: target.account, container: name.slice(0, at), object: name.slice(at + 1) };
      if (entry.size > deps.settings.maxFileSize) {
        fail(name, 413);
        continue;
      }
      const headers = fileHeaders(req, entry);
      try {
        checkContainerName(path.container);
        checkObjectName(path.object);
        if (!headers) throw new BadRequest('Invalid extended attribute');
      } catch {
        fail(name, 400);
        continue;
      }
      let containerFailure: [string, string] | undefined;
      if (!accessed.has(path.container)) {
        try {
          if (await ensureContainer(deps, req, path.account, path.container) && ++containersCreated > BULK_UPLOAD_LIMITS.maxContainersPerExtraction) {
            throw new BadRequest(`More than ${BULK_UPLOAD_LIMITS.maxContainersPerExtraction} containers to create from tar.`);
          }
        } catch (err) {
          if (!isStratusError(err) || err instanceof BadRequest) throw err;
          if (err.status === 401) throw new Unauthorized('Unauthorized');
          // The object PUT may still succeed through a container ACL.
          containerFailure = [quoteName(`/v1/${path.account}/${path.container}`), statusLine(err.status)];
        }
      }
      try {
        await storeObject(deps, req, path, entry.body, { size: entry.size, headers });
        accessed.add(path.container);
        created++;
      } catch (err) {
        if (!isStratusError(err) || isArchiveError(err)) throw err;
        accessed.add(path.container);
        if (containerFailure) failures.push(containerFailure);
        fail(name, err.status);
        if (err.status === 401) throw new Unauthorized('Unauthorized');
        if (err.status >= 500) serverError = true;
      }
    }
  } finally {
    report.fields['Number Files Created'] = created;
  }
  if (failures.length > 0) report.fields['Response Status'] = statusLine(serverError ? 502 : 400);
  else if (created === 0) {
    report.fields['Response Status'] = statusLine(400);
    report.fields['Response Body'] = 'Invalid Tar File: No Valid Files';
  }
}

/** `format` is the extract-archive parameter: tar, tar.gz or tar.bz2 (anything else: 400 before any work). */
export function extractArchive(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, target: SwiftPath, format: unknown): FastifyReply {
  const kind = typeof format === 'string' ? format.toLowerCase().replace(/^\.+|\.+$/g, '') : '';
  if (kind !== 'tar' && kind !== 'tar.gz' && kind !== 'tar.bz2') throw new BadRequest('Unsupported archive format');
  return sendBulkReport(req, reply, {
    root: 'extract', log: deps.log,
    fields: { 'Response Status': statusLine(201), 'Response Body': '', 'Number Files Created': 0 },
    work: (report) => extract(deps, req, target, kind === 'tar' ? undefined : kind === 'tar.gz' ? 'gz' : 'bz2', report),
  });
}
