// The one page `hyperclone watch` serves and its script: the sections arrive over server-sent events
// and replace the old ones in place, so the curves grow without a reload. Not the server (watch-server.ts).

import { REPORT_CSS } from '@hyperclone/bench';
import { escapeHtml } from './watch-view.js';

export function watchPage(titles: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hyperclone watch: ${escapeHtml(titles.join(', '))}</title>
<link rel="icon" href="data:,">
<style>${REPORT_CSS}
main{max-width:1560px}
.runs{list-style:none;padding:0;margin:.4em 0}.runs li{margin:.15em 0}
.plots{display:flex;flex-wrap:wrap;gap:1em}.plots figure{margin:0}
.empty{width:380px;color:#666}.note{color:#444}#updated{color:#666;font-size:.9em}
</style></head>
<body><main>
<h1>hyperclone watch</h1>
<p id="updated">connecting…</p>
<div id="folders"></div>
</main><script src="/watch.js"></script></body></html>
`;
}

/** The page's script: takes each update's sections, and says when the server went away. */
export const WATCH_SCRIPT = `'use strict';
const folders = document.getElementById('folders');
const updated = document.getElementById('updated');
const source = new EventSource('/events');
source.addEventListener('update', (event) => {
  const state = JSON.parse(event.data);
  folders.innerHTML = state.sections.map((s) => '<section id="' + s.id + '"><h2>' + s.title + '</h2>' + s.html + '</section>').join('');
  updated.textContent = 'updated ' + new Date(state.at).toLocaleTimeString() + (state.error ? ' · ' + state.error : '');
});
source.addEventListener('error', () => {
  updated.textContent = 'lost the connection to hyperclone watch; retrying';
});
`;
