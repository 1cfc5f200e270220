// The CLI's pino logger: JSON lines into RUN/train.log, held in memory until the run directory
// exists (so bad input leaves no files), with warnings and errors also shown on the terminal.
// Not a library logger: libraries take core's Logger interface and never create pino.

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '@hyperclone/core';
import { pino } from 'pino';

/** A pino destination that buffers until `attach(path)`, then appends synchronously. */
class DeferredFile {
  private fd: number | null = null;
  private pending: string[] = [];

  write(line: string): void {
    if (this.fd === null) this.pending.push(line);
    else writeSync(this.fd, line);
  }

  attach(path: string): void {
    if (this.fd !== null) return;
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
    for (const line of this.pending) writeSync(this.fd, line);
    this.pending = [];
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export interface RunLogger {
  /** Warnings and errors also go to the terminal. */
  logger: Logger;
  /** Writes to train.log only (e.g. the error the CLI is about to print anyway). */
  fileOnly: Logger;
  /** Starts writing (buffered lines first) to this file, e.g. RUN/train.log. */
  attach(path: string): void;
  close(): void;
}

/** `notify` receives warnings and errors as one-line text for the terminal. */
export function createRunLogger(notify: (level: 'warn' | 'error', msg: string) => void): RunLogger {
  const file = new DeferredFile();
  const p = pino({ level: 'debug', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, file);
  const logger: Logger = {
    debug: (obj, msg) => p.debug(obj, msg),
    info: (obj, msg) => p.info(obj, msg),
    warn: (obj, msg) => {
      p.warn(obj, msg);
      notify('warn', msg ?? JSON.stringify(obj));
    },
    error: (obj, msg) => {
      p.error(obj, msg);
      notify('error', msg ?? JSON.stringify(obj));
    },
  };
  const fileOnly: Logger = {
    debug: (obj, msg) => p.debug(obj, msg),
    info: (obj, msg) => p.info(obj, msg),
    warn: (obj, msg) => p.warn(obj, msg),
    error: (obj, msg) => p.error(obj, msg),
  };
  return { logger, fileOnly, attach: (path) => file.attach(path), close: () => file.close() };
}
