// The few Swift v1 calls the object-store store makes (container PUT, object PUT/GET/DELETE, /info), over node:http so
// that object data streams both ways with backpressure: a PUT is a Writable, a GET is the response stream itself.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Writable } from 'node:stream';
import { ServiceUnavailable } from '#lib/errors.ts';

export interface SwiftAccess {
  /** The account URL, `…/v1/AUTH_<project>`, from the service's catalog; undefined while Object Storage is not there. */
  endpoint(): Promise<string | undefined>;
  token(): Promise<string>;
}

export interface SwiftClient {
  /** Creates the container if missing (PUT is idempotent in Swift: 201 or 202). */
  ensureContainer(container: string): Promise<void>;
  /**
   * A streaming PUT of one object: write the data, end the stream, and it finishes only once Swift has stored the whole
   * object (201). Destroying it cancels the request, and Swift keeps nothing of a PUT that did not complete.
   */
  putObject(container: string, name: string): Promise<Writable>;
  /** The object's data, or bytes start–end of it; rejects when it is missing (404) or Swift fails. */
  getObject(container: string, name: string, range?: { start: number; end: number }): Promise<IncomingMessage>;
  /** Deletes the object; a missing object is not an error. */
  deleteObject(container: string, name: string): Promise<void>;
  /** Swift's published limit on one object (`/info` → swift.max_file_size), if it publishes one. */
  maxFileSize(): Promise<number | undefined>;
}

const IDLE_TIMEOUT_MS = 60_000;
const unavailable = (what: string, why: string) => new ServiceUnavailable(`Object Storage could not ${what}: ${why}`);
/** Why Swift refused: for 401/403 the likely operator fix, since the service writes to its own account. */
const refusal = (status: number | undefined, text: string) => `it answered ${status} ${text}`
  + (status === 401 || status === 403 ? ' (the image service\'s user needs a role that may write its own account, e.g. member on its project)' : '');

async function readText(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) if (text.length < 2000) text += String(chunk);
  return text.trim().slice(0, 500);
}

export function createSwiftClient(access: SwiftAccess): SwiftClient {
  // One keep-alive pool per scheme; a long upload holds one socket for its duration.
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  async function open(method: string, path: string, headers: OutgoingHttpHeaders = {}): Promise<ClientRequest> {
    const endpoint = await access.endpoint();
    if (!endpoint) throw unavailable(`${method} ${path}`, 'the catalog has no object-store endpoint.');
    const url = new URL(`${endpoint.replace(/\/+$/, '')}/${path}`);
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const req = send(url, { method, agent: secure ? agents.https : agents.http, headers: { 'x-auth-token': await access.token(), ...headers } });
    // A socket idle this long (nothing sent or received) means Object Storage stopped answering: fail, never hang.
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`)));
    return req;
  }

  const responseOf = (req: ClientRequest, what: string): Promise<IncomingMessage> => new Promise((ok, fail) => {
    req.once('response', ok);
    // `on`, not `once`: a second error (after a destroy) must not go unhandled.
    req.on('error', (err) => fail(unavailable(what, err.message)));
  });

  /** Sends a request without a body and reads the answer; `expected` statuses pass, any other rejects. */
  async function simple(method: string, path: string, expected: number[], headers?: OutgoingHttpHeaders): Promise<IncomingMessage> {
    const req = await open(method, path, headers);
    const answer = responseOf(req, `${method} ${path}`);
    req.end();
    const res = await answer;
    if (!expected.includes(res.statusCode ?? 0)) throw unavailable(`${method} ${path}`, refusal(res.statusCode, await readText(res)));
    // From here the reader sets the pace (a download waits on its client): no idle limit.
    req.setTimeout(0);
    return res;
  }

  const objectPath = (container: string, name: string) => `${encodeURIComponent(container)}/${encodeURIComponent(name)}`;

  return {
    async ensureContainer(container) {
      (await simple('PUT', encodeURIComponent(container), [201, 202])).resume();
    },

    async putObject(container, name) {
      const path = objectPath(container, name);
      const req = await open('PUT', path, { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' });
      // The outcome of the PUT: undefined once Swift stored the object, else the error to fail the write with.
      let stored = false;
      let ending = false;
      const outcome: Promise<Error | undefined> = responseOf(req, `store ${path}`).then(async (res) => {
        if (res.statusCode === 201) {
          stored = true;
          res.resume();
          return undefined;
        }
        return unavailable(`store ${path}`, refusal(res.statusCode, await readText(res)));
      }, (err: Error) => err);
      const sink: Writable = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          if (req.write(chunk)) callback();
          else req.once('drain', () => callback());
        },
        final(callback) {
          ending = true;
          req.end();
          void outcome.then((err) => callback(err ?? null));
        },
        destroy(err, callback) {
          // After a stored object the socket goes back to the pool; otherwise cancelling the request stores nothing.
          if (!stored) req.destroy();
          callback(err);
        },
      });
      // Swift may answer before the body is complete, e.g. when it fails mid-upload: fail the write at once then.
      void outcome.then((err) => { if (err && !ending) sink.destroy(err); });
      return sink;
    },

    async getObject(container, name, range) {
      return simple('GET', objectPath(container, name), range ? [206] : [200], range ? { range: `bytes=${range.start}-${range.end}` } : {});
    },

    async deleteObject(container, name) {
      (await simple('DELETE', objectPath(container, name), [204, 404])).resume();
    },

    async maxFileSize() {
      const endpoint = await access.endpoint();
      if (!endpoint) throw unavailable('publish its limits', 'the catalog has no object-store endpoint.');
      const root = new URL(endpoint);
      const info = new URL('/info', root.origin);
      let res: Response;
      try {
        res = await fetch(info, { signal: AbortSignal.timeout(10_000) });
      } catch (err) {
        throw unavailable('publish its limits', (err as Error).message);
      }
      if (!res.ok) return undefined;
      const body = (await res.json().catch(() => undefined)) as { swift?: { max_file_size?: unknown } } | undefined;
      const max = body?.swift?.max_file_size;
      return typeof max === 'number' ? max : undefined;
    },
  };
}
