// FormPOST (Swift's formpost middleware): a browser uploads files with an HTML form POSTed to a container (or a prefix
// in it), without a token: fields redirect, max_file_size, max_file_count, expires and signature (signed with a TempURL
// key) come first, then the files, each streamed into an object `<prefix><filename>`. The answer is the last upload's
// status as text, or a 303 to `redirect` carrying status and message.
import { STATUS_CODES } from 'node:http';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isStratusError } from '#lib/errors.ts';
import { getAccount } from '../db/accounts-repo.ts';
import { getContainer } from '../db/containers-repo.ts';
import { formPostSignatureValid } from '../domain/formpost.ts';
import { checkObjectName } from '../domain/names.ts';
import type { ProxyDeps } from './deps.ts';
import { header } from './deps.ts';
import { MultipartInvalid, formBoundary, multipartParts, parseDisposition } from './multipart-form.ts';
import { storeObject } from './object-write.ts';
import type { SwiftPath } from './swift-path.ts';
import { grantFormPost } from './tempurl.ts';

/** Field values longer than this are cut (Swift's MAX_VALUE_LENGTH). */
const MAX_VALUE_LENGTH = 4096;

/** A form that cannot be processed: 400 (invalid) or 401 (unauthorized), with Swift's message. */
class FormError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
const invalid = (m: string) => new FormError(400, m);
const unauthorized = (m: string) => new FormError(401, m);
/** Python's str.title(), which Swift applies to these messages. */
const title = (s: string) => s.replace(/[A-Za-z]+/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase());

/** Whether a request is a FormPOST: a POST to a container or below with a multipart/form-data body. */
export function isFormPost(req: FastifyRequest, path: SwiftPath): boolean {
  return req.method === 'POST' && path.container !== undefined && formBoundary(header(req, 'content-type')) !== undefined;
}

async function fieldValue(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (length < MAX_VALUE_LENGTH) chunks.push(chunk.subarray(0, MAX_VALUE_LENGTH - length));
    length += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8').replace(/[\r\n-]+$/, '');
}

const intField = (value: string | undefined, message: string): number => {
  const v = value || '0';
  if (!/^[+-]?\d+$/.test(v.trim())) throw invalid(message);
  return Number(v);
};

class FileTooLarge extends Error {}

/** Fails once more than `max` bytes went through. */
function capped(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > max ? new FileTooLarge('max_file_size exceeded') : null, chunk);
    },
  });
}

interface Outcome { status: number; message: string }

/** Checks the form's signature and expiry, then stores one file; the outcome of its upload. */
async function uploadFile(deps: ProxyDeps, req: FastifyRequest, path: SwiftPath & { container: string }, attrs: Record<string, string>, file: { name: string; body: Readable }): Promise<Outcome> {
  const [account, container] = await Promise.all([getAccount(deps.db, path.account), getContainer(deps.db, path.account, path.container)]);
  const keys = [account.meta['temp-url-key'], account.meta['temp-url-key-2'], container?.meta['temp-url-key'], container?.meta['temp-url-key-2']]
    .filter((k): k is string => typeof k === 'string' && k !== '');
  if (keys.length === 0) throw unauthorized('invalid signature');
  const maxFileSize = intField(attrs.max_file_size, 'max_file_size not an integer');
  const headers: Record<string, string> = {};
  if (attrs.x_delete_at !== undefined) headers['x-delete-at'] = String(intField(attrs.x_delete_at, 'x_delete_at not an integer: Unix timestamp required.'));
  if (attrs.x_delete_after !== undefined) headers['x-delete-after'] = String(intField(attrs.x_delete_after, 'x_delete_after not an integer: Number of seconds required.'));
  if (attrs['content-type'] !== undefined) headers['content-type'] = attrs['content-type'] || 'application/octet-stream';
  if (intField(attrs.expires, 'expired not an integer') < Date.now() / 1000) throw unauthorized('form expired');
  const signedPath = decodeURIComponent((req.raw.url ?? '').split('?')[0]);
  const fields = { path: signedPath, redirect: attrs.redirect, maxFileSize: attrs.max_file_size, maxFileCount: attrs.max_file_count, expires: attrs.expires };
  if (!formPostSignatureValid(keys, attrs.signature ?? '', fields)) throw unauthorized('invalid signature');

  const prefix = path.object ?? '';
  const dest = { account: path.account, container: path.container, object: `${prefix}${file.name}` };
  grantFormPost(req, { ...dest, object: prefix }, prefix);
  const body = file.body.pipe(capped(maxFileSize));
  file.body.on('error', (err) => body.destroy(err));
  try {
    checkObjectName(dest.object);
    await storeObject(deps, req, dest, body, { headers });
    return { status: 201, message: '' };
  } catch (err) {
    // A failed body fails the replicas' writes: what broke it is the answer, not their 503.
    const cause = [err, body.errored, file.body.errored].find((e) => e instanceof FileTooLarge || e instanceof MultipartInvalid);
    if (cause instanceof FileTooLarge) throw invalid('max_file_size exceeded');
    if (cause) throw cause;
    if (!isStratusError(err)) throw err;
    return { status: err.status, message: '' };
  } finally {
    body.destroy();
  }
}

async function processForm(deps: ProxyDeps, req: FastifyRequest, path: SwiftPath & { container: string }, boundary: string): Promise<{ outcome: Outcome; redirect?: string }> {
  const attrs: Record<string, string> = {};
  let outcome: Outcome | undefined;
  let files = 0;
  const source = ((req.body as Readable | undefined) ?? req.raw) as AsyncIterable<Buffer>;
  for await (const part of multipartParts(source, boundary)) {
    const { type, params } = parseDisposition(part.headers['content-disposition']);
    if (type === 'form-data' && params.filename !== undefined && (params.filename !== '' || 'filename' in params)) {
      files++;
      if (files > intField(attrs.max_file_count, 'max_file_count not an integer')) {
        outcome = { status: 400, message: 'max file count exceeded' };
        break;
      }
      const fileAttrs = { ...attrs };
      if (fileAttrs['content-type'] === undefined && part.headers['content-type'] !== undefined) fileAttrs['content-type'] = part.headers['content-type'];
      outcome = await uploadFile(deps, req, path, fileAttrs, { name: params.filename || 'filename', body: part.body });
      if (outcome.status >= 300) break;
    } else {
      const value = await fieldValue(part.body);
      if (params.name !== undefined) attrs[params.name.toLowerCase()] = value;
    }
  }
  return { outcome: outcome ?? { status: 400, message: 'no files to process' }, ...(attrs.redirect ? { redirect: attrs.redirect } : {}) };
}

/** Answers a FormPOST (isFormPost): 201/4xx as text, 303 to the form's redirect, 400/401 for a bad or unsigned form. */
export async function formPost(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, path: SwiftPath & { container: string }): Promise<FastifyReply> {
  const boundary = formBoundary(header(req, 'content-type'))!;
  let result: Awaited<ReturnType<typeof processForm>>;
  try {
    result = await processForm(deps, req, path, boundary);
  } catch (err) {
    if (err instanceof MultipartInvalid) return reply.code(400).type('text/plain').send(`FormPost: ${err.message}`);
    if (!(err instanceof FormError)) throw err;
    return reply.code(err.status).type('text/plain').send(`FormPost: ${err.status === 401 ? title(err.message) : err.message}`);
  }
  const { outcome, redirect } = result;
  const statusLine = `${outcome.status} ${STATUS_CODES[outcome.status] ?? ''}`.trim();
  if (!redirect) {
    const body = outcome.message ? `${statusLine}\r\nFormPost: ${title(outcome.message)}` : statusLine;
    return reply.code(outcome.status).type('text/plain').send(body);
  }
  const location = `${redirect}${redirect.includes('?') ? '&' : '?'}status=${outcome.status}&message=${encodeURIComponent(outcome.message)}`;
  const escaped = location.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return reply.code(303).header('location', location).type('text/html; charset=UTF-8')
    .send(`<html><body><p><a href="${escaped}">Click to continue...</a></p></body></html>`);
}
