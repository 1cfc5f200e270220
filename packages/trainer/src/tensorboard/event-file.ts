// One TensorBoard event file being written (events.out.tfevents.<seconds>.<host>.<pid>.<n>), its
// first record the file version, and the files of a folder (listed, or cut back to a step on resume).
// Not what goes into the events (tensorboard-sink.ts).

import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { outputPathError, writeFileAtomic } from '@hyperclone/core';
import { encodeEvent, eventStep, type EventMessage } from './event-schema.js';
import { frameRecord, readRecords } from './tfrecord.js';

/** What every TensorBoard reader expects the first event of a file to say. */
export const FILE_VERSION = 'brain.Event:2';
const WRITER = 'hyperclone';

let filesMadeHere = 0;

/** Event files in `dir`, oldest first (TensorBoard reads them in name order). */
export function eventFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.includes('tfevents'))
    .sort()
    .map((name) => join(dir, name));
}

/**
 * On resume: drops every event after `step` from the folder's files (steps logged after the checkpoint
 * and before a crash), so no step is written twice; a torn last record is dropped and reported.
 */
export async function truncateEventFiles(dir: string, step: number, onTorn: (message: string) => void): Promise<void> {
  for (const path of eventFiles(dir)) {
    const records = readRecords(readFileSync(path), path, onTorn);
    const kept = records.filter((data) => eventStep(data) <= step);
    if (kept.length === records.length) continue;
    await writeFileAtomic(path, Buffer.concat(kept.map(frameRecord)));
  }
}

export class EventFile {
  private fd: number;

  private constructor(readonly path: string) {
    this.fd = openSync(path, 'wx');
  }

  /** A new file in `dir` (made if absent), opening with the file-version event. */
  static async create(dir: string, wallTime = Date.now() / 1000): Promise<EventFile> {
    await mkdir(dir, { recursive: true });
    const name = `events.out.tfevents.${Math.floor(wallTime).toString().padStart(10, '0')}.${hostname()}.${process.pid}.${filesMadeHere++}`;
    const file = new EventFile(join(dir, name));
    file.write({ wallTime, step: 0, fileVersion: FILE_VERSION, sourceMetadata: { writer: WRITER } });
    return file;
  }

  /** Appends one event, written before this returns (synchronous, as run-files.ts appends its rows). */
  write(event: EventMessage): void {
    const record = frameRecord(encodeEvent(event));
    try {
      writeSync(this.fd, record);
    } catch (e) {
      throw outputPathError(e, this.path, this.path, { bytes: record.length, of: 'the event' });
    }
  }

  /** Flushes to disk and closes; later writes throw. */
  close(): void {
    if (this.fd < 0) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}
