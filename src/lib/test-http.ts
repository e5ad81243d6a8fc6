// The HTTP side of every service's API test fixture: send a JSON request with a token, read the answer as JSON (or as
// text when it is not JSON), so each fixture only adds its own version header and persona helpers.

export interface Reply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary OpenStack documents
  body: any;
}

export interface CallOptions {
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (application/json unless a content-type header says otherwise). */
  raw?: string;
  headers?: Record<string, string>;
}

export async function callJson(baseUrl: string, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(opts.token ? { 'x-auth-token': opts.token } : {}), ...opts.headers };
  const body = opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = text; }
  return { status: res.status, headers: res.headers, body: parsed };
}
