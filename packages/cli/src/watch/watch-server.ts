// The local server of `hyperclone watch`: three fixed routes (the page, its script, the event stream),
// no file of any folder served as such, a look at the folders every interval and a redraw pushed to
// every open page when a file changed. Not the drawing (watch-view.ts) or the command line (commands/watch.ts).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError } from '../command.js';
import { escapeHtml, renderSections } from './watch-view.js';
import { WATCH_SCRIPT, watchPage } from './watch-page.js';
import { folderSignature, type WatchedFolder } from './watched-folder.js';

export interface WatchServerOptions {
  folders: WatchedFolder[];
  host: string;
  port: number;
  /** How often the folders are looked at (default 1000 ms). */
  intervalMs?: number;
}

export interface WatchServer {
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src data:; connect-src 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export async function startWatchServer(o: WatchServerOptions): Promise<WatchServer> {
  const clients = new Set<ServerResponse>();
  let payload = '';
  let signature = '';
  let drawing = false;

  const redraw = async (): Promise<void> => {
    if (drawing) return;
    drawing = true;
    try {
      const now = o.folders.map(folderSignature).join('|');
      if (now === signature && payload) return;
      signature = now;
      payload = await updatePayload(o.folders);
      for (const client of clients) client.write(payload);
    } finally {
      drawing = false;
    }
  };
  await redraw();
  // a folder that changes under the look (a run starting over) is read again at the next one
  const timer = setInterval(() => void redraw().catch(() => {}), o.intervalMs ?? 1000);

  const server = createServer((req, res) => {
    if (!allowedHost(req, o.host)) return send(res, 403, 'text/plain', 'forbidden: this server answers only to its own address\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET\n');
    const path = new URL(req.url ?? '/', 'http://watch.invalid').pathname;
    if (path === '/') return send(res, 200, 'text/html; charset=utf-8', watchPage(o.folders.map((f) => f.label)));
    if (path === '/watch.js') return send(res, 200, 'text/javascript; charset=utf-8', WATCH_SCRIPT);
    if (path === '/events') return openStream(res, clients, payload);
    return send(res, 404, 'text/plain', 'not found: this server has the page (/), its script and its event stream only\n');
  });
  try {
    await listen(server, o.host, o.port);
  } catch (e) {
    clearInterval(timer);
    throw e;
  }
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const client of clients) client.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The sections as one server-sent event (a reading error shows on the page instead of stopping the server). */
async function updatePayload(folders: WatchedFolder[]): Promise<string> {
  let state: { at: number; sections: { id: string; title: string; html: string }[]; error: string | null };
  try {
    const sections = await renderSections(folders);
    state = {
      at: Date.now(),
      sections: sections.map((s) => ({ id: escapeHtml(s.id), title: escapeHtml(s.title), html: s.html })),
      error: null,
    };
  } catch (e) {
    state = { at: Date.now(), sections: [], error: `cannot read the folders: ${(e as Error).message}` };
  }
  return `event: update\ndata: ${JSON.stringify(state)}\n\n`;
}

function openStream(res: ServerResponse, clients: Set<ServerResponse>, payload: string): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.write('retry: 2000\n\n');
  if (payload) res.write(payload);
  clients.add(res);
  res.on('close', () => clients.delete(res));
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, ...PAGE_HEADERS });
  res.end(body);
}

/** Bound to the loopback, the server answers only requests addressed to it (no other site's page can reach it by a renamed host). */
function allowedHost(req: IncomingMessage, bound: string): boolean {
  if (!LOOPBACK.has(bound)) return true;
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  return LOOPBACK.has(host) || host === '[::1]';
}

function listen(server: ReturnType<typeof createServer>, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        reject(new CliError(`port ${port} on ${host} is in use; choose another with --port P (--port 0 picks a free one)`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
        reject(new CliError(`cannot listen on --host ${host}: not an address of this machine; the default is 127.0.0.1`));
      else if (e.code === 'EACCES') reject(new CliError(`port ${port} needs privileges here; choose one above 1023 with --port P`));
      else reject(e);
    });
    server.listen(port, host, () => resolve());
  });
}
