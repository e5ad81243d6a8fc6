// Structured JSON logs (pino) with tokens and passwords redacted, so secrets never reach a log file.
import { pino } from 'pino';
import type { Logger as PinoLogger, DestinationStream } from 'pino';

export type Logger = PinoLogger;

const REDACT = [
  'password', '*.password', '*.*.password', '*.*.*.password', '*.*.*.*.password',
  'secret', '*.secret', '*.*.secret',
  'req.headers["x-auth-token"]', 'req.headers["x-subject-token"]', 'req.headers["x-service-token"]',
  'req.headers.authorization', 'res.headers["x-subject-token"]', 'token', '*.token',
];

export interface LogOptions {
  level?: string;
  name?: string;
  destination?: DestinationStream;
  /** Also append every line to this file (created with its directory), e.g. <data>/logs/stratus.log. */
  file?: string;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const options = {
    level: opts.level ?? process.env.STRATUS_LOG_LEVEL ?? 'info',
    name: opts.name,
    redact: { paths: REDACT, censor: '***' },
    base: { pid: process.pid },
  };
  if (opts.file) {
    const level = options.level as pino.Level;
    const streams = pino.multistream([
      { level, stream: opts.destination ?? process.stdout },
      { level, stream: pino.destination({ dest: opts.file, mkdir: true, append: true, sync: true }) },
    ]);
    return pino(options, streams);
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that drops everything: for unit tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
