// A streaming multipart/form-data reader (RFC 7578) for FormPOST: parts come one at a time, each body a stream read
// straight from the request, so a file of any size passes through with only a boundary's length held back.
import { Readable } from 'node:stream';

export interface FormPart {
  /** Part headers, names lower-cased. */
  headers: Record<string, string>;
  /** The part's bytes; the next part is read only after this one ends (or is drained for the caller). */
  body: Readable;
}

/** A malformed form: no starting boundary, a part without a header end, or a body cut short. */
export class MultipartInvalid extends Error {}

const MAX_HEADER_BYTES = 16 * 1024;

/** The boundary of a multipart/form-data Content-Type, or undefined when it is not one. */
export function formBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Parses `form-data; name="x"; filename="y"` into its type and (lower-cased) parameters. */
export function parseDisposition(value: string | undefined): { type: string; params: Record<string, string> } {
  const [type = '', ...rest] = (value ?? '').split(';');
  const params: Record<string, string> = {};
  for (const m of rest.join(';').matchAll(/\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g)) {
    params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3].trim();
  }
  return { type: type.trim().toLowerCase(), params };
}

/** Yields the parts of a multipart body. Each part's body must be consumed before asking for the next one. */
export async function* multipartParts(source: AsyncIterable<Buffer>, boundary: string): AsyncGenerator<FormPart> {
  const input = source[Symbol.asyncIterator]();
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first boundary need not follow a CRLF: pretend one came before the body.
  let buf: Buffer = Buffer.from('\r\n');
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const next = await input.next();
    if (next.done) {
      ended = true;
      return false;
    }
    buf = buf.length === 0 ? next.value : Buffer.concat([buf, next.value]);
    return true;
  };
  const need = async (n: number) => {
    while (buf.length < n) if (!await more()) throw new MultipartInvalid('unexpected end of form data');
  };

  // Preamble, then the first delimiter.
  for (;;) {
    const at = buf.indexOf(delimiter);
    if (at >= 0) {
      buf = buf.subarray(at + delimiter.length);
      break;
    }
    if (buf.length > MAX_HEADER_BYTES) throw new MultipartInvalid('invalid starting boundary');
    if (!await more()) throw new MultipartInvalid('invalid starting boundary');
  }
  for (;;) {
    await need(2);
    if (buf[0] === 0x2d && buf[1] === 0x2d) return;
    // Transport padding after a delimiter, then its CRLF.
    let eol: number;
    while ((eol = buf.indexOf('\r\n')) < 0) {
      if (buf.length > 1024 || !await more()) throw new MultipartInvalid('invalid boundary line');
    }
    if (buf.subarray(0, eol).toString('latin1').trim() !== '') throw new MultipartInvalid('invalid boundary line');
    buf = buf.subarray(eol + 2);
    // The headers end at an empty line (at once, for a part without headers).
    await need(2);
    let headEnd = buf[0] === 0x0d && buf[1] === 0x0a ? -2 : -1;
    while (headEnd === -1 && (headEnd = buf.indexOf('\r\n\r\n')) < 0) {
      if (buf.length > MAX_HEADER_BYTES || !await more()) throw new MultipartInvalid('invalid part headers');
    }
    const headerText = headEnd < 0 ? '' : buf.subarray(0, headEnd).toString('utf8');
    buf = buf.subarray(headEnd < 0 ? 2 : headEnd + 4);
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let done = false;
    async function* partBytes(): AsyncGenerator<Buffer> {
      for (;;) {
        const at = buf.indexOf(delimiter);
        if (at >= 0) {
          const chunk = buf.subarray(0, at);
          buf = buf.subarray(at + delimiter.length);
          done = true;
          if (chunk.length > 0) yield chunk;
          return;
        }
        // Everything but a possible start of the delimiter can go.
        const safe = buf.length - (delimiter.length - 1);
        if (safe > 0) {
          const chunk = buf.subarray(0, safe);
          buf = buf.subarray(safe);
          yield chunk;
        }
        if (!await more()) throw new MultipartInvalid('unexpected end of form data');
      }
    }
    const body = Readable.from(partBytes(), { objectMode: false });
    yield { headers, body };
    // Whatever the caller left unread is skipped to reach the next part.
    if (!done) {
      body.destroy();
      for await (const chunk of partBytes()) void chunk;
    }
  }
}
