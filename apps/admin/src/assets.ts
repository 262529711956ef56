/**
 * The built dashboard (`index.html` + `admin.js`, see build-ui.ts) and how to serve it: the
 * page gets the comet WebSocket URL as a `data-ws-url` attribute (an address, never a
 * secret) and a Content-Security-Policy that allows only its own origin plus WebSockets, so
 * the page cannot load anything from another network location.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The dashboard files, read once. */
export interface AdminAssets {
  html: string;
  js: string;
}

/** Content-Security-Policy sent with the page (inline styles only; scripts from this origin). */
export const ADMIN_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Reads `index.html` and `admin.js` from a directory written by {@link buildAdminUi}. */
export function loadAdminAssets(dir: string): AdminAssets {
  return { html: readFileSync(join(dir, 'index.html'), 'utf8'), js: readFileSync(join(dir, 'admin.js'), 'utf8') };
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The page with `data-ws-url` set (empty = the page guesses `ws://<its host>:3102/sub`). */
export function renderAdminPage(html: string, wsUrl: string): string {
  if (!wsUrl) return html;
  return html.replace('<html lang="en">', `<html lang="en" data-ws-url="${escapeAttr(wsUrl)}">`);
}
