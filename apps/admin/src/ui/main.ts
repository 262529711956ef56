/**
 * The admin dashboard page: hand-written DOM code over {@link AdminApi}, polled every 2 s,
 * plus a {@link GoimClient} for the live tail. Everything the page shows comes from the
 * network as data and is written with `textContent` (room names and messages come from
 * clients and must never become markup).
 */
import { GoimClient, type DisconnectNotice } from '@goim/protocol';
import { AdminApi, AdminApiError, parseMids, splitList, tailToken, type AdminNode, type PushTarget } from './api.js';
import { RateHistory, SERIES, sparklinePoints, type SeriesName } from './rates.js';

const POLL_MS = 2_000;
const TAIL_LINES = 200;
const CHART_W = 200;
const CHART_H = 40;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from the page`);
  return el as T;
};
const input = (id: string) => $<HTMLInputElement>(id);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string | number, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function setResult(id: string, text: string, ok: boolean): void {
  const e = $(id);
  e.textContent = text;
  e.className = `result ${ok ? 'ok' : 'bad'}`;
}

const api = new AdminApi(window.sessionStorage);
const history = new RateHistory(60);
let pollTimer: ReturnType<typeof setInterval> | undefined;
let shownRoom = '';

function showLogin(error = ''): void {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = undefined;
  stopTail();
  $('dashboard').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = error;
  input('token').value = '';
  input('token').focus();
}

function showDashboard(): void {
  $('login').hidden = true;
  $('dashboard').hidden = false;
  input('token').value = '';
  api.config().then((c) => ($('config').textContent = JSON.stringify(c, null, 2)), (err: unknown) => handleError(err));
  void poll();
  pollTimer ??= setInterval(() => void poll(), POLL_MS);
}

/** A refused token (revoked, server restarted with another) sends the user back to the login form. */
function handleError(err: unknown, resultId?: string): void {
  if (err instanceof AdminApiError && err.refused) {
    api.logout();
    showLogin(err.message);
    return;
  }
  const msg = err instanceof Error ? err.message : String(err);
  if (resultId) setResult(resultId, msg, false);
  else $('status').textContent = `error: ${msg}`;
}

// ---- polling -------------------------------------------------------------------------

async function poll(): Promise<void> {
  try {
    const [nodes, rooms, metrics] = await Promise.all([api.nodes(), api.topRooms(20), api.metrics()]);
    renderNodes(nodes.nodes);
    renderRooms(rooms.rooms, rooms.total);
    history.add(metrics);
    renderCharts();
    if (shownRoom) await showRoom(shownRoom);
    $('status').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    handleError(err);
  }
}

function renderNodes(nodes: AdminNode[]): void {
  const body = $('nodes');
  body.replaceChildren(
    ...nodes.map((n) => {
      const tr = el('tr');
      tr.dataset.host = n.hostname;
      tr.append(
        el('td', n.hostname),
        el('td', n.region || '–'),
        el('td', n.zone || '–'),
        el('td', n.clientAddrs.join(', ') || '–'),
        el('td', n.connCount, 'num'),
        el('td', n.ipCount, 'num'),
        el('td', n.weight, 'num'),
        el('td', n.offline ? 'yes' : 'no', n.offline ? 'bad' : ''),
        el('td', n.updated ? new Date(n.updated).toLocaleTimeString() : '–'),
      );
      return tr;
    }),
  );
  if (nodes.length === 0) {
    const tr = el('tr');
    const td = el('td', 'no comet registered', 'muted');
    td.colSpan = 9;
    tr.append(td);
    body.append(tr);
  }
}

function renderRooms(rows: { room: string; count: number }[], total: number): void {
  $('rooms-total').textContent = `(${total})`;
  $('rooms').replaceChildren(
    ...rows.map((r) => {
      const tr = el('tr');
      tr.dataset.room = r.room;
      const name = el('td');
      const a = el('a', r.room, 'room');
      a.addEventListener('click', () => {
        input('room-id').value = r.room;
        void showRoom(r.room);
      });
      name.append(a);
      tr.append(name, el('td', r.count, 'num'));
      return tr;
    }),
  );
}

async function showRoom(room: string): Promise<void> {
  shownRoom = room;
  try {
    const v = await api.room(room);
    const view = $('room-view');
    view.className = 'result';
    const title = el('div');
    title.append(el('strong', v.room), document.createTextNode(' — '), el('span', `${v.count} online`, 'room-count'));
    const table = el('table');
    table.append(
      ...v.servers.map((s) => {
        const tr = el('tr');
        tr.append(el('td', s.server), el('td', s.count, 'num'), el('td', new Date(s.updated).toLocaleTimeString(), 'muted'));
        return tr;
      }),
    );
    view.replaceChildren(title, table);
  } catch (err) {
    handleError(err, 'room-view');
  }
}

const CHART_LABELS: Record<SeriesName, string> = {
  accepted: 'pushes accepted (logic)',
  delivered: 'delivered (comet, per recipient)',
  dropped: 'dropped (undeliverable + slow consumers)',
  kicked: 'kicked',
};

function renderCharts(): void {
  const box = $('charts');
  if (!box.childElementCount) {
    for (const name of SERIES) {
      const c = el('div', undefined, 'chart');
      c.dataset.series = name;
      const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.setAttribute('viewBox', `0 0 ${CHART_W} ${CHART_H}`);
      svg.setAttribute('preserveAspectRatio', 'none');
      svg.append(document.createElementNS('http://www.w3.org/2000/svg', 'polyline'));
      c.append(el('div', CHART_LABELS[name], 'muted'), el('div', '–', 'rate'), svg, el('div', '', 'muted total'));
      box.append(c);
    }
  }
  const totals = history.totals();
  for (const name of SERIES) {
    const c = box.querySelector<HTMLElement>(`[data-series="${name}"]`)!;
    const rates = history.rates(name);
    const last = rates[rates.length - 1];
    c.querySelector('.rate')!.textContent = last === undefined ? '–' : `${last.toFixed(1)}/s`;
    c.querySelector('polyline')!.setAttribute('points', sparklinePoints(rates, CHART_W, CHART_H));
    c.querySelector('.total')!.textContent = totals ? `total ${totals[name]}` : '';
  }
}

// ---- push and kick -------------------------------------------------------------------

const PUSH_TO_LABEL: Record<PushTarget, string> = {
  room: 'room (type://id)',
  keys: 'keys (comma separated)',
  mids: 'mids (comma separated)',
  all: 'everyone (no target)',
};

function onTargetChange(): void {
  const target = $<HTMLSelectElement>('push-target').value as PushTarget;
  $('push-to-label').textContent = PUSH_TO_LABEL[target];
  input('push-to').disabled = target === 'all';
}

async function onPush(e: Event): Promise<void> {
  e.preventDefault();
  const target = $<HTMLSelectElement>('push-target').value as PushTarget;
  const operation = Number(input('push-operation').value);
  const to = input('push-to').value;
  const body = $<HTMLTextAreaElement>('push-body').value;
  try {
    if (!Number.isInteger(operation) || operation < 0) throw new Error('operation must be a non-negative integer');
    const form = { target, operation, body };
    const r = await api.push(
      target === 'keys' ? { ...form, keys: splitList(to) } : target === 'mids' ? { ...form, mids: parseMids(to) } : target === 'room' ? { ...form, room: to.trim() } : form,
    );
    setResult('push-result', `accepted: ${r.messages} queue message(s)`, true);
  } catch (err) {
    handleError(err, 'push-result');
  }
}

async function onKick(e: Event): Promise<void> {
  e.preventDefault();
  const by = $<HTMLSelectElement>('kick-by').value;
  const text = input('kick-targets').value;
  const reason = input('kick-reason').value;
  try {
    const r = await api.kick(by === 'mids' ? { mids: parseMids(text), reason } : { keys: splitList(text), reason });
    const errors = r.servers.filter((s) => s.error).map((s) => `${s.server}: ${s.error}`);
    const notFound = r.notFound.length ? `; not connected: ${r.notFound.join(', ')}` : '';
    setResult('kick-result', `kicked ${r.kicked} connection(s)${notFound}${errors.length ? `; errors: ${errors.join('; ')}` : ''}`, errors.length === 0);
  } catch (err) {
    handleError(err, 'kick-result');
  }
}

// ---- live tail -----------------------------------------------------------------------

let tail: GoimClient | undefined;
const decoder = new TextDecoder();

function tailLine(text: string, cls = ''): void {
  const log = $('tail-log');
  const li = el('li', `${new Date().toLocaleTimeString()}  ${text}`, cls);
  log.append(li);
  while (log.childElementCount > TAIL_LINES) log.firstElementChild?.remove();
  log.scrollTop = log.scrollHeight;
}

function stopTail(): void {
  tail?.close();
  tail = undefined;
  const state = document.getElementById('tail-state');
  if (state) state.textContent = 'stopped';
}

function startTail(e: Event): void {
  e.preventDefault();
  stopTail();
  const room = input('tail-room').value.trim();
  const url = input('tail-url').value.trim();
  if (!room) return tailLine('enter a room id (type://id)', 'bad');
  $('tail-state').textContent = 'connecting…';
  let token: ConstructorParameters<typeof GoimClient>[0]['token'];
  try {
    token = tailToken(input('tail-token').value.trim(), room);
  } catch (err) {
    $('tail-state').textContent = 'stopped';
    return tailLine(`bad token: ${(err as Error).message}`, 'bad');
  }
  const client = new GoimClient({ url, token, heartbeatIntervalMs: 30_000 });
  tail = client;
  client.on('auth', () => {
    $('tail-state').textContent = `tailing ${room}`;
    tailLine(`joined ${room}`, 'muted');
  });
  client.on('message', (m) => tailLine(`op ${m.op}  ${decoder.decode(m.body)}`));
  client.on('disconnect', (n: DisconnectNotice) => tailLine(`server closed: ${n.reason} (code ${n.code})`, 'bad'));
  client.on('close', (info) => {
    if (tail === client) $('tail-state').textContent = info.reconnectInMs !== undefined ? `reconnecting in ${info.reconnectInMs} ms` : 'closed';
  });
  client.on('error', (err) => tailLine(`error: ${err instanceof Error ? err.message : String(err)}`, 'bad'));
  client.connect();
}

// ---- start ---------------------------------------------------------------------------

function defaultWsUrl(): string {
  // The serving process may say where comet's WebSocket listens (not a secret).
  const given = document.documentElement.dataset.wsUrl;
  if (given) return given;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.hostname}:3102/sub`;
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const button = $<HTMLButtonElement>('login-button');
  button.disabled = true;
  $('login-error').textContent = '';
  api
    .login(input('token').value)
    .then(showDashboard, (err: unknown) => {
      const msg = err instanceof AdminApiError && err.status === 401 ? 'refused: invalid admin token' : err instanceof Error ? err.message : String(err);
      $('login-error').textContent = msg;
    })
    .finally(() => (button.disabled = false));
});
$('logout').addEventListener('click', () => {
  api.logout();
  showLogin();
});
$('room-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const room = input('room-id').value.trim();
  if (room) void showRoom(room);
});
$('push-target').addEventListener('change', onTargetChange);
$('push-form').addEventListener('submit', (e) => void onPush(e));
$('kick-form').addEventListener('submit', (e) => void onKick(e));
$('tail-form').addEventListener('submit', startTail);
$('tail-stop').addEventListener('click', stopTail);
input('tail-url').value = defaultWsUrl();
onTargetChange();

if (api.token) showDashboard();
else showLogin();
