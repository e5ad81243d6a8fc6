// POST (or DELETE) ?bulk-delete: deletes the objects and empty containers listed in the body, one %-encoded
// `/<container>[/<object>]` a line, objects before containers, answering with a bulk report.
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, NotAcceptable, StratusError } from '#lib/errors.ts';
import { statusLine } from '../domain/bulk-report.ts';
import { lengthRequired } from '../domain/errors.ts';
import { CONSTRAINTS } from '../domain/names.ts';
import { BULK_DELETE_LIMITS, deleteAll, reportDeletes } from './bulk-deleter.ts';
import type { DeleteItem, DeleteTally } from './bulk-deleter.ts';
import { sendBulkReport } from './bulk-response.ts';
import type { ProxyDeps } from './deps.ts';
import { header } from './deps.ts';

/** The longest `/<container>/<object>` a line may name. */
const MAX_PATH_LENGTH = CONSTRAINTS.max_object_name_length + CONSTRAINTS.max_container_name_length + 2;

/** One line (bytes as latin1 text): %-decoded to a name; raw bytes beyond ASCII are taken as UTF-8, as Swift does. */
function decodeLine(line: string): DeleteItem | undefined {
  const trimmed = Buffer.from(line, 'latin1').toString('utf8').trim();
  if (trimmed === '') return undefined;
  try {
    return { name: decodeURIComponent(trimmed) };
  } catch {
    // Not %-decodable to UTF-8: Swift reports such a name as 412.
    return { name: trimmed, error: { status: 412, message: statusLine(412) } };
  }
}

/** The names in the body, read line by line with bounded memory (at most the per-request maximum of names). */
async function readNames(req: FastifyRequest): Promise<DeleteItem[]> {
  const source = (req.body as Readable | undefined) ?? req.raw;
  const items: DeleteItem[] = [];
  let pending = '';
  const add = (line: string) => {
    const item = decodeLine(line);
    if (!item) return;
    items.push(item);
    if (items.length > BULK_DELETE_LIMITS.maxDeletesPerRequest) {
      throw new StratusError(413, 'RequestEntityTooLarge', `Maximum Bulk Deletes: ${BULK_DELETE_LIMITS.maxDeletesPerRequest} per request`);
    }
  };
  source.setEncoding('latin1');
  for await (const chunk of source) {
    const lines = (pending + (chunk as string)).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) add(line);
    if (pending.length > MAX_PATH_LENGTH * 2) throw new BadRequest('Invalid File Name');
  }
  add(pending);
  return items;
}

export function bulkDelete(deps: ProxyDeps, req: FastifyRequest, reply: FastifyReply, account: string): FastifyReply {
  return sendBulkReport(req, reply, {
    root: 'delete', log: deps.log,
    fields: { 'Response Status': statusLine(200), 'Response Body': '', 'Number Deleted': 0, 'Number Not Found': 0 },
    async work(report) {
      const type = header(req, 'content-type');
      if (type && !type.startsWith('text/plain')) throw new NotAcceptable('Not Acceptable');
      if (header(req, 'content-length') === undefined && !/chunked/i.test(header(req, 'transfer-encoding') ?? '')) throw lengthRequired();
      const items = await readNames(req);
      const isObject = (i: DeleteItem) => i.name.replace(/^\/+|\/+$/g, '').includes('/');
      const tally: DeleteTally = { deleted: 0, notFound: 0, errors: [], serverError: false };
      try {
        // All objects are gone before any container is tried, so a container emptied by this request can go too.
        await deleteAll(deps, req, account, items.filter(isObject), tally);
        await deleteAll(deps, req, account, items.filter((i) => !isObject(i)), tally);
      } finally {
        reportDeletes(report, tally);
      }
    },
  });
}
