// A small QMP (QEMU Machine Protocol) client over a unix socket, since npm has none: reads the greeting, negotiates
// capabilities, runs commands matched to their answers by id, and hands asynchronous events to listeners.
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

/** A command QEMU refused: its error class (e.g. `DeviceNotFound`) and description. */
export class QmpError extends Error {
  readonly errorClass: string;
  constructor(command: string, errorClass: string, desc: string) {
    super(`QMP ${command} failed: ${desc} (${errorClass})`);
    this.errorClass = errorClass;
  }
}

/**
 * Splits a byte stream of QMP messages (one JSON object per line, `\r\n` terminated) into parsed messages; returns
 * them with the unfinished tail to keep for the next chunk. Pure, for unit tests.
 */
export function splitQmpMessages(buffered: string): { messages: Record<string, unknown>[]; rest: string } {
  const lines = buffered.split('\n');
  const rest = lines.pop() ?? '';
  const messages = lines.map((l) => l.trim()).filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { messages, rest };
}

export interface QmpClient {
  /** Runs a command and resolves to its `return` value; rejects with QmpError on an `error` answer or when the socket closes. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
  /** Calls `listener` for every event until the returned function is called. */
  onEvent(listener: (e: QmpEvent) => void): () => void;
  /** Resolves with the first event named `name` that `match` accepts; rejects after `timeoutMs` or when the socket closes. */
  waitEvent(name: string, opts: { match?: (e: QmpEvent) => boolean; timeoutMs: number }): Promise<QmpEvent>;
  /** Whether the socket is still open. */
  readonly open: boolean;
  /** Resolves when the socket has closed (QEMU exited, or close() was called). */
  readonly closed: Promise<void>;
  close(): void;
}

/**
 * Connects to a QMP socket and leaves capabilities negotiation done. Rejects when nothing answers with a greeting
 * within `timeoutMs` (QEMU serves one QMP client per socket at a time: a second client waits for the first to leave).
 */
export function connectQmp(path: string, opts: { timeoutMs?: number } = {}): Promise<QmpClient> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(path);
    const pending = new Map<string, { command: string; ok: (v: unknown) => void; fail: (e: Error) => void }>();
    const listeners = new Set<(e: QmpEvent) => void>();
    let buffered = '';
    let nextId = 1;
    let greeted = false;
    let isOpen = true;
    let markClosed!: () => void;
    const closed = new Promise<void>((r) => { markClosed = r; });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`QMP at ${path} sent no greeting within ${opts.timeoutMs ?? 5000} ms (another client may hold it)`));
    }, opts.timeoutMs ?? 5000);

    const execute = <T>(command: string, args?: Record<string, unknown>) => new Promise<T>((ok, fail) => {
      if (!isOpen) { fail(new Error(`QMP ${command}: the connection to ${path} is closed`)); return; }
      const id = `stratus-${nextId++}`;
      pending.set(id, { command, ok: ok as (v: unknown) => void, fail });
      socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });

    const client: QmpClient = {
      execute,
      onEvent(listener) {
        listeners.add(listener);
        return () => { listeners.delete(listener); };
      },
      waitEvent(name, { match, timeoutMs }) {
        return new Promise((ok, fail) => {
          const stop = client.onEvent((e) => {
            if (e.event !== name || (match && !match(e))) return;
            done();
            ok(e);
          });
          const t = setTimeout(() => { done(); fail(new Error(`no ${name} event within ${timeoutMs} ms`)); }, timeoutMs);
          void closed.then(() => { done(); fail(new Error(`QMP connection closed while waiting for ${name}`)); });
          const done = () => { clearTimeout(t); stop(); };
        });
      },
      get open() { return isOpen; },
      closed,
      close() { socket.destroy(); },
    };

    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      let parsed: ReturnType<typeof splitQmpMessages>;
      try {
        parsed = splitQmpMessages(buffered + chunk);
      } catch (err) {
        socket.destroy(err as Error);
        return;
      }
      buffered = parsed.rest;
      for (const msg of parsed.messages) {
        if (!greeted && 'QMP' in msg) {
          greeted = true;
          execute('qmp_capabilities').then(() => { clearTimeout(timer); resolve(client); }, (err: Error) => { clearTimeout(timer); socket.destroy(); reject(err); });
        } else if ('event' in msg) {
          for (const l of [...listeners]) l(msg as unknown as QmpEvent);
        } else if (typeof msg.id === 'string' && pending.has(msg.id)) {
          const p = pending.get(msg.id)!;
          pending.delete(msg.id);
          if ('error' in msg) {
            const e = msg.error as { class?: string; desc?: string };
            p.fail(new QmpError(p.command, e.class ?? 'GenericError', e.desc ?? 'unknown error'));
          } else {
            p.ok(msg.return);
          }
        }
      }
    });
    socket.on('error', (err) => {
      if (!greeted) { clearTimeout(timer); reject(new Error(`cannot connect to QMP at ${path}: ${err.message}`)); }
    });
    socket.on('close', () => {
      isOpen = false;
      clearTimeout(timer);
      for (const p of pending.values()) p.fail(new Error(`QMP ${p.command}: QEMU closed the connection`));
      pending.clear();
      markClosed();
      if (!greeted) reject(new Error(`QMP at ${path} closed before its greeting`));
    });
  });
}
