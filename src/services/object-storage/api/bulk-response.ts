// The response of a bulk operation, as Swift's bulk middleware sends it: 200 at once, whitespace every few seconds
// while the work runs (so that clients and proxies do not time out), then the report whose "Response Status" says
// how it really went.
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotAcceptable, isStratusError } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import { bulkFormat, renderBulkReport, statusLine } from '../domain/bulk-report.ts';
import type { BulkReport } from '../domain/bulk-report.ts';
import { header } from './deps.ts';

/** Seconds between keep-alive whitespace (Swift's yield_frequency). */
export const YIELD_FREQUENCY = 10;

/**
 * Answers 200 and runs `work`, which fills the report; an error it throws becomes the report's Response Status and
 * Response Body (a 500 without details for an unexpected one, which is logged). `root` names the XML document.
 */
export function sendBulkReport(req: FastifyRequest, reply: FastifyReply, opts: {
  root: string; fields: BulkReport['fields']; log: Logger; work: (report: BulkReport) => Promise<void>;
  /** The status sent up front: 200, or 202 for an SLO upload with heartbeat=on. */
  code?: number;
  /** An SLO upload answers text/plain whatever the Accept header says it cannot. */
  fallbackFormat?: boolean;
}): FastifyReply {
  const format = bulkFormat(header(req, 'accept')) ?? (opts.fallbackFormat ? 'text/plain' : undefined);
  const report: BulkReport = { fields: { ...opts.fields }, errors: [] };
  const body = new PassThrough();
  let beat = format?.endsWith('/xml') ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ' ';
  let separator = '';
  const heartbeat = setInterval(() => {
    body.write(beat);
    beat = ' ';
    separator = '\r\n\r\n';
  }, YIELD_FREQUENCY * 1000);
  void (async () => {
    try {
      if (!format) throw new NotAcceptable('Not Acceptable');
      await opts.work(report);
    } catch (err) {
      if (isStratusError(err)) {
        report.fields['Response Status'] = statusLine(err.status);
        report.fields['Response Body'] = err.message;
      } else {
        opts.log.error({ err, requestId: req.ctx?.requestId }, `bulk ${opts.root} failed`);
        report.fields['Response Status'] = statusLine(500);
      }
    } finally {
      clearInterval(heartbeat);
      body.end(separator + renderBulkReport(format ?? 'text/plain', report, opts.root));
    }
  })();
  return reply.code(opts.code ?? 200).type(format ?? 'text/plain').send(body);
}
