// The report body of Swift's bulk operations (bulk delete, archive extraction, SLO upload and delete): the HTTP
// status is 200 and the real outcome is in the body, as text, JSON or XML chosen by the Accept header.
import { STATUS_CODES } from 'node:http';

export const BULK_FORMATS = ['text/plain', 'application/json', 'application/xml', 'text/xml'] as const;
export type BulkFormat = (typeof BULK_FORMATS)[number];

/** The summary keys and values ("Number Deleted": 3, "Response Status": "200 OK", …) and the failed names. */
export interface BulkReport {
  fields: Record<string, string | number>;
  /** [%-encoded name, status line or reason] of each failure. */
  errors: [string, string][];
}

/** A name as bulk reports list it: %-encoded except `/` (Python's quote). */
export const quoteName = (name: string): string => encodeURIComponent(name).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Swift's reason phrases where Node's differ. */
const REASONS: Record<number, string> = { 413: 'Request Entity Too Large', 416: 'Requested Range Not Satisfiable' };

/** `404 Not Found`: a status as a bulk report shows it. */
export const statusLine = (code: number): string => `${code} ${REASONS[code] ?? STATUS_CODES[code] ?? 'Unknown'}`;

/**
 * The best of the bulk formats for an Accept header (q-values honoured, ties to the earlier format); text/plain when
 * there is no header; undefined when the header accepts none of them.
 */
export function bulkFormat(accept: string | undefined): BulkFormat | undefined {
  if (accept === undefined || accept.trim() === '') return 'text/plain';
  const ranges = accept.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return { type, q: q ? Number(q.slice(2)) : 1 };
  }).filter((r) => r.type !== '' && !Number.isNaN(r.q));
  let best: { format: BulkFormat; q: number } | undefined;
  for (const format of BULK_FORMATS) {
    const [major] = format.split('/');
    const match = ranges.find((r) => r.type === format) ?? ranges.find((r) => r.type === `${major}/*`) ?? ranges.find((r) => r.type === '*/*');
    if (match && match.q > 0 && (!best || match.q > best.q)) best = { format, q: match.q };
  }
  return best?.format;
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The report body in `format`; `root` names the XML document element (delete, extract, upload). */
export function renderBulkReport(format: BulkFormat, report: BulkReport, root: string): string {
  const keys = Object.keys(report.fields).sort();
  if (format === 'application/json') return JSON.stringify({ ...report.fields, Errors: report.errors });
  if (format.endsWith('/xml')) {
    const fields = keys.map((k) => {
      const tag = k.replace(/ /g, '_').toLowerCase();
      return `<${tag}>${xmlEscape(String(report.fields[k]))}</${tag}>\n`;
    }).join('');
    const errors = report.errors.map(([name, status]) => `<object><name>${xmlEscape(name)}</name><status>${xmlEscape(status)}</status></object>\n`).join('');
    return `<${root}>\n${fields}<errors>\n${errors}</errors>\n</${root}>\n`;
  }
  return `${keys.map((k) => `${k}: ${report.fields[k]}\n`).join('')}Errors:\n${report.errors.map(([name, status]) => `${name}, ${status}\n`).join('')}`;
}
