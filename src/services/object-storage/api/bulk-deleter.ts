// Deleting many objects and containers for one caller, as Swift's bulk delete does for bulk-delete and for
// ?multipart-manifest=delete: each with the caller's own rights, two at a time, counting what was deleted and not
// found and listing what failed, and giving up after too many failures.
import type { FastifyRequest } from 'fastify';
import { BadRequest, isStratusError } from '#lib/errors.ts';
import { quoteName, statusLine } from '../domain/bulk-report.ts';
import type { BulkReport } from '../domain/bulk-report.ts';
import { checkContainerName, checkObjectName } from '../domain/names.ts';
import { removeContainerAt } from './container.ts';
import type { ProxyDeps } from './deps.ts';
import { removeObjectAt } from './object-meta.ts';

export const BULK_DELETE_LIMITS = { maxDeletesPerRequest: 10000, maxFailedDeletes: 1000, concurrency: 2 } as const;

/** One name to delete (`/<container>/<object>` or `/<container>`), or an error found while listing it. */
export interface DeleteItem {
  name: string;
  error?: { status: number; message: string };
}

export interface DeleteTally {
  deleted: number;
  notFound: number;
  errors: BulkReport['errors'];
  /** A storage failure (5xx) happened: the report's status is 502 rather than 400. */
  serverError: boolean;
}

/** The status a deletion of `name` ends with (2xx deleted). */
async function deleteOne(deps: ProxyDeps, req: FastifyRequest, account: string, name: string): Promise<number> {
  const trimmed = name.replace(/^\/+/, '');
  const at = trimmed.indexOf('/');
  try {
    if (at < 0 || at === trimmed.length - 1) {
      const container = at < 0 ? trimmed : trimmed.slice(0, at);
      checkContainerName(container);
      await removeContainerAt(deps, req, account, container);
    } else {
      const path = { account, container: trimmed.slice(0, at), object: trimmed.slice(at + 1) };
      checkContainerName(path.container);
      checkObjectName(path.object);
      await removeObjectAt(deps, req, path);
    }
    return 204;
  } catch (err) {
    if (isStratusError(err)) return err.status;
    throw err;
  }
}

/**
 * Deletes `items` in order (two in flight), tallying outcomes. Throws 400 "Max delete failures exceeded" once
 * BULK_DELETE_LIMITS.maxFailedDeletes failed (the tally so far stays valid).
 */
export async function deleteAll(deps: ProxyDeps, req: FastifyRequest, account: string, items: AsyncIterable<DeleteItem> | Iterable<DeleteItem>, tally: DeleteTally): Promise<void> {
  const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (async function* () { yield* items; })();
  let aborted = false;
  const worker = async () => {
    while (!aborted) {
      const next = await iterator.next();
      if (next.done) return;
      const { name, error } = next.value;
      const status = error ? error.status : await deleteOne(deps, req, account, name);
      if (status >= 200 && status < 300) tally.deleted++;
      else if (status === 404) tally.notFound++;
      else {
        if (status >= 500) tally.serverError = true;
        tally.errors.push([quoteName(name), error ? error.message : statusLine(status)]);
        if (tally.errors.length >= BULK_DELETE_LIMITS.maxFailedDeletes) aborted = true;
      }
    }
  };
  await Promise.all(Array.from({ length: BULK_DELETE_LIMITS.concurrency }, worker));
  if (aborted) throw new BadRequest('Max delete failures exceeded');
}

/** Fills a bulk delete report from a finished tally (Swift's final Response Status rules). */
export function reportDeletes(report: BulkReport, tally: DeleteTally): void {
  report.fields['Number Deleted'] = tally.deleted;
  report.fields['Number Not Found'] = tally.notFound;
  report.errors = tally.errors;
  if (tally.errors.length > 0) report.fields['Response Status'] = statusLine(tally.serverError ? 502 : 400);
  else if (tally.deleted === 0 && tally.notFound === 0) {
    report.fields['Response Status'] = statusLine(400);
    report.fields['Response Body'] = 'Invalid bulk delete.';
  }
}
