// `--nproc N`: starts N local worker processes of this same command, one per rank, joined through the
// torchrun variables (as `torchrun --standalone` does), forwards Ctrl-C to each, stops them all when
// one dies, and reports which. Not the training (the workers run it) and not the group (backend-torch).

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CliError } from './command.js';

export interface LaunchOptions {
  nproc: number;
  /** The worker's arguments: the command and its flags, without --nproc and --master-port. */
  argv: string[];
  /** Where rank 0 serves the store; default: a free port. */
  masterPort?: number;
  /** The worker program and node's flags for it; default: this process's own (process.argv[1], execArgv). */
  script?: string;
  execArgv?: string[];
  /** How long a stopped worker may take to exit before SIGKILL (default 5 s). */
  graceMs?: number;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

const LAST_LINES = 20;
const ERROR_LINE = /^hyperclone: error: /;
/** A collective that failed because another rank left (backend-torch's process group says so): not a cause. */
const PEER_LOST = /a peer rank may have died or stopped calling collectives/;

interface Worker {
  rank: number;
  child: ChildProcess;
  lines: string[];
  errorLine: string | null;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** We sent it SIGTERM/SIGKILL after another rank failed (so its death is not the cause). */
  stoppedByUs: boolean;
}

/** Runs the workers to the end; resolves to the command's exit code. */
export async function launchLocal(o: LaunchOptions): Promise<number> {
  if (!Number.isInteger(o.nproc) || o.nproc < 1) throw new CliError(`--nproc must be a positive integer (got ${o.nproc})`, 2);
  const port = o.masterPort === undefined ? await freePort() : await checkPort(o.masterPort);
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  const workers = Array.from({ length: o.nproc }, (_, rank) => startWorker(rank, o, port, out, err));
  let forwarded: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    forwarded = signal;
    for (const w of workers) if (!w.exit) signalWorker(w, signal);
  };
  const killAll = (): void => workers.forEach((w) => !w.exit && signalWorker(w, 'SIGKILL'));
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal).on('exit', killAll);
  try {
    await superviseUntilAllExit(workers, o.graceMs ?? 5_000);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('exit', killAll);
    killAll();
  }
  return report(workers, forwarded, err);
}

function startWorker(rank: number, o: LaunchOptions, port: number, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Worker {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RANK: String(rank),
    LOCAL_RANK: String(rank),
    WORLD_SIZE: String(o.nproc),
    LOCAL_WORLD_SIZE: String(o.nproc),
    MASTER_ADDR: '127.0.0.1',
    MASTER_PORT: String(port),
    HYPERCLONE_LAUNCHER: '1',
    // rank 0's progress line may rewrite itself when the launcher's own stderr is a terminal
    HYPERCLONE_TTY: rank === 0 && (err as NodeJS.WriteStream).isTTY ? '1' : '0',
  };
  delete env['TORCHELASTIC_USE_AGENT_STORE'];
  // its own process group: a terminal's Ctrl-C reaches only the launcher, which forwards it once
  const script = o.script ?? process.argv[1]!;
  const child = spawn(process.execPath, [...(o.execArgv ?? process.execArgv), script, ...o.argv], {
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  const w: Worker = { rank, child, lines: [], errorLine: null, exit: null, stoppedByUs: false };
  relay(w, child.stdout!, out);
  relay(w, child.stderr!, err);
  child.on('error', (e) => w.lines.push(`could not start: ${e.message}`));
  return w;
}

/** Rank 0's output passes through as it is; other ranks' lines get a [rank N] prefix, errors held for the report. */
function relay(w: Worker, from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void {
  let partial = '';
  from.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split(/\r?\n|\r/);
    partial = parts.pop()!;
    if (w.rank === 0) to.write(chunk);
    for (const line of parts) keepLine(w, line, to);
  });
  from.on('end', () => partial && keepLine(w, partial, to));
}

function keepLine(w: Worker, line: string, to: NodeJS.WritableStream): void {
  const clean = line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trimEnd();
  if (!clean) return;
  w.lines.push(clean);
  if (w.lines.length > LAST_LINES) w.lines.shift();
  if (ERROR_LINE.test(clean)) w.errorLine = clean;
  else if (w.rank > 0) to.write(`[rank ${w.rank}] ${clean}\n`);
}

function signalWorker(w: Worker, signal: NodeJS.Signals): void {
  try {
    w.child.kill(signal);
  } catch {
    // already gone
  }
}

/**
 * Waits for every worker. The first failure stops the rest: at once when it died by a signal; after up
 * to 2 s when it exited with an error (a bad input fails every rank alike, each with its own line).
 * Stopping is SIGTERM, then SIGKILL after graceMs.
 */
function superviseUntilAllExit(workers: Worker[], graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stopOthers = (): void => {
      for (const w of workers.filter((x) => !x.exit)) {
        w.stoppedByUs = true;
        signalWorker(w, 'SIGTERM');
      }
      setTimeout(() => workers.forEach((w) => !w.exit && signalWorker(w, 'SIGKILL')), graceMs).unref();
    };
    for (const w of workers) {
      w.child.on('close', (code, signal) => {
        w.exit = { code, signal };
        if (!(code === 0 || code === 130) && !stopping) {
          stopping = true;
          if (signal) stopOthers();
          else setTimeout(stopOthers, Math.min(graceMs, 2_000)).unref();
        }
        if (workers.every((x) => x.exit)) resolve();
      });
    }
  });
}

/** One line for a bad input every rank refused alike; else the rank that caused the failure, and its last lines. */
function report(workers: Worker[], forwarded: NodeJS.Signals | null, err: NodeJS.WritableStream): number {
  // after a forwarded Ctrl-C, a rank that died of it (still starting, no handler yet) was interrupted too
  const interrupted = (w: Worker) => w.exit!.code === 130 || (forwarded !== null && w.exit!.signal !== null && !w.stoppedByUs);
  const failed = workers.filter((w) => !(w.exit!.code === 0 || interrupted(w)));
  if (failed.length === 0) return workers.some(interrupted) || forwarded ? 130 : 0;
  const alike = failed.length === workers.length && workers.every((w) => w.errorLine !== null && w.errorLine === workers[0]!.errorLine);
  if (alike) return workers[0]!.exit!.code ?? 1; // rank 0 already printed the line
  // a rank that died, else one that failed on its own (the ranks it left fail too, often first, saying a peer left)
  const ownError = (w: Worker) => w.errorLine !== null && !PEER_LOST.test(w.errorLine);
  const cause =
    failed.find((w) => w.exit!.signal !== null && !w.stoppedByUs) ??
    failed.find(ownError) ??
    failed.find((w) => !w.stoppedByUs) ??
    failed[0]!;
  const how = cause.exit!.signal ? `was killed by ${cause.exit!.signal}` : `exited with code ${cause.exit!.code}`;
  const lines = cause.lines.length ? cause.lines.map((l) => `  ${l}`).join('\n') : '  (no output)';
  err.write(`hyperclone: error: rank ${cause.rank} of ${workers.length} ${how}; the other ranks were stopped. Its last lines:\n${lines}\n`);
  return 1;
}

/** A TCP port nobody listens on now (the kernel's pick), for rank 0's store. */
export function freePort(): Promise<number> {
  return listenOnce(0).then((port) => port);
}

/** The given port, when it is free; a one-line error when something listens on it. */
export async function checkPort(port: number): Promise<number> {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new CliError(`--master-port must be a port number 1-65535 (got ${port})`, 2);
  try {
    return await listenOnce(port);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'EADDRINUSE'
        ? `port ${port} is already in use; give another --master-port, or leave it out to take a free one`
        : `cannot listen on port ${port} (${(e as Error).message}); give another --master-port`,
    );
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, () => {
      const actual = (server.address() as { port: number }).port;
      server.close(() => resolve(actual));
    });
  });
}
