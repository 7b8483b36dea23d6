/*
 * switchboard console: a client of the daemon's public /v1 HTTP API
 * (docs/http-api.md), logged in with a session cookie (POST /v1/session)
 * instead of an API key. Every mutation carries the session's CSRF token
 * (X-CSRF-Token); a support session names the subaccount it acts for in
 * X-Subaccount. Nothing shown here is computed outside the API.
 *
 * Plain ES2020, no framework, no build step. Text from the daemon only
 * ever reaches the page through textContent and createElement (h() below),
 * never innerHTML.
 */
'use strict';

// What the screens' files (console_*.js) share: helpers, the API, the
// session state, and SB.views, the screens the router draws.
const SB = { views: {} };

(() => {
  // ---- constants --------------------------------------------------------

  const PAGE = 25;
  const POLL_MS = 2000;
  const STATUSES = ['scheduled', 'blocked_time', 'queued', 'sending', 'accepted', 'delivered',
    'read', 'undeliverable', 'failed', 'rejected', 'cancelled', 'expired'];
  const FINAL = new Set(['blocked_time', 'delivered', 'read', 'undeliverable', 'failed',
    'rejected', 'cancelled', 'expired']);
  const GROUPS = [
    ['processing', 'Processing (queued)'], ['sending', 'Sending (sending, accepted)'],
    ['sent', 'Sent (delivered, read)'], ['undeliverable', 'Undeliverable'],
    ['failed', 'Failed (failed, rejected, expired)'], ['cancelled', 'Cancelled'],
    ['blocked_time', 'Blocked by sending hours'], ['scheduled', 'Scheduled']];
  const CHANNEL_TYPES = [['sms', 'SMS'], ['whatsapp', 'WhatsApp'], ['line_push', 'LINE push'],
    ['line_notify', 'LINE notify'], ['other', 'Other']];
  const COUNTRIES = [['', 'Subaccount default'], ['55', '+55 Brazil'], ['1', '+1 US, Canada'],
    ['52', '+52 Mexico'], ['54', '+54 Argentina'], ['56', '+56 Chile'], ['57', '+57 Colombia'],
    ['51', '+51 Peru'], ['351', '+351 Portugal'], ['34', '+34 Spain'], ['44', '+44 UK'],
    ['49', '+49 Germany'], ['33', '+33 France'], ['39', '+39 Italy'], ['81', '+81 Japan'],
    ['66', '+66 Thailand'], ['886', '+886 Taiwan'], ['62', '+62 Indonesia'], ['91', '+91 India']];
  const FOLDERS = [['inbox', 'Inbox'], ['flows', 'Flows'], ['archived', 'Archived'],
    ['outbox', 'Outbox'], ['sent', 'Sent'], ['calls', 'Calls'], ['schedules', 'Schedules'],
    ['failed', 'Failed']];
  const SEARCH_FIELDS = ['group', 'status', 'broadcast', 'channel_type', 'country', 'to',
    'file_name', 'template', 'text', 'from', 'until'];

  // ---- state ------------------------------------------------------------

  const state = {
    session: null,       // the answer of /v1/session
    lastUser: null,      // whose search filters state.search holds
    sub: null,           // the subaccount a support session acts for
    search: { filters: {}, before: null, pages: [] },
    route: { token: 0, cleanups: [] },
  };

  // ---- DOM helpers ------------------------------------------------------

  const $ = (sel, root = document) => root.querySelector(sel);

  function append(el, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k == null || k === false) continue;
      el.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return el;
  }

  function setAttrs(el, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.setAttribute('class', v);
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value' && 'value' in el && el.tagName !== 'BUTTON') el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    return el;
  }

  // h('p', {class: 'x'}, 'text', child, ...): an element; strings are text.
  function h(tag, attrs, ...kids) {
    return append(setAttrs(document.createElement(tag), attrs), kids);
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...kids) {
    return append(setAttrs(document.createElementNS(SVG, tag), attrs), kids);
  }

  let uid = 0;
  const nextId = (p) => `${p}-${++uid}`;

  // A labelled form field: <div class="field"><label for>..</label><input id>..</div>.
  function field(label, control, hint) {
    if (!control.id) control.id = nextId('f');
    const kids = [h('label', { for: control.id }, label), control];
    if (hint) {
      const hid = nextId('hint');
      control.setAttribute('aria-describedby', hid);
      kids.push(h('p', { class: 'hint', id: hid }, hint));
    }
    return h('div', { class: 'field' }, kids);
  }

  function select(attrs, options, current) {
    const el = h('select', attrs);
    for (const [v, label] of options) {
      const o = h('option', { value: v }, label);
      if (String(v) === String(current ?? '')) o.selected = true;
      el.append(o);
    }
    return el;
  }

  function button(label, attrs, onclick) {
    return h('button', Object.assign({ type: 'button', onclick }, attrs || {}), label);
  }

  function table(caption, headers, rows, attrs) {
    const t = h('table', attrs,
      caption ? h('caption', { class: 'vh' }, caption) : null,
      h('thead', null, h('tr', null, headers.map((x) => (Array.isArray(x)
        ? h('th', { scope: 'col', class: x[1] }, x[0]) : h('th', { scope: 'col' }, x))))),
      h('tbody', null, rows));
    return h('div', { class: 'table-wrap' }, t);
  }

  function badge(status) {
    return h('span', { class: `badge st-${status}` }, status ? status.replace('_', ' ') : '—');
  }

  function errorBox() {
    return h('div', { class: 'error', role: 'alert', hidden: true });
  }

  function showError(box, err) {
    box.hidden = !err;
    box.textContent = err ? (err.message || String(err)) : '';
  }

  function clearFlash() {
    const f = $('#flash');
    clearTimeout(flash.timer);
    f.textContent = '';
    f.className = 'flash';
  }

  function flash(text, kind) {
    const f = $('#flash');
    f.className = `flash ${kind || 'ok'}`;
    f.textContent = text;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(clearFlash, 8000);
  }

  function pad(n) { return String(n).padStart(2, '0'); }

  // An ISO time as local "YYYY-MM-DD HH:MM:SS" in a <time>, or a dash.
  function time(iso) {
    if (!iso) return h('span', { class: 'muted' }, '—');
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    const txt = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    return h('time', { datetime: iso, title: iso }, txt);
  }

  // datetime-local value (local time) to ISO 8601 UTC without milliseconds.
  function localToIso(v) {
    if (!v) return '';
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new Error(`not a date and time: ${v}`);
    return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  function isoToLocal(iso) {
    const d = iso ? new Date(iso) : new Date(Date.now() + 3600e3);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  function qs(params) {
    const parts = [];
    for (const [k, v] of Object.entries(params)) {
      if (v == null || v === '') continue;
      parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    }
    return parts.length ? `?${parts.join('&')}` : '';
  }

  const pct = (x) => (x == null ? '—' : `${Number(x).toFixed(1)} %`);
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const bcLink = (id) => h('a', { href: `#/broadcasts/${id}` }, `#${id}`);

  // "Previous page" and "Next page" for keyset pages: `pages` holds the
  // cursors of the pages before this one; go(cursor) shows another.
  function pagerButtons(pages, next, go, current) {
    return [
      pages.length ? button('Previous page', { class: 'secondary', id: 'prev-page' },
        () => go(pages.pop())) : null,
      next != null ? button('Next page', { class: 'secondary', id: 'next-page' }, () => {
        pages.push(current());
        go(next);
      }) : null,
    ];
  }
  const excerpt = (t, n = 60) => (t && t.length > n ? `${t.slice(0, n - 1)}…` : (t || ''));

  // ---- the API ----------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  async function api(method, path, body, opts = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && state.session) headers['X-CSRF-Token'] = state.session.csrf;
    if (!opts.noSub && state.session && state.session.role === 'support' && state.sub)
      headers['X-Subaccount'] = state.sub;
    let res;
    try {
      res = await fetch(path, {
        method, headers, credentials: 'same-origin', cache: 'no-store',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, 'network', `the daemon did not answer (${e.message})`);
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!res.ok) {
      const err = data && data.error;
      const e = new ApiError(res.status, err ? err.code : `http_${res.status}`,
        err ? err.message : `HTTP ${res.status} ${res.statusText}`,
        res.headers.get('Retry-After'));
      if (res.status === 401 && state.session && !opts.noLogout) sessionLost();
      throw e;
    }
    return data;
  }

  // ---- session ----------------------------------------------------------

  function setSession(sess) {
    if (state.lastUser !== sess.user) state.search = { filters: {}, before: null, pages: [] };
    state.lastUser = sess.user;
    state.session = sess;
    if (sess.role === 'support') {
      const subs = sess.subaccounts || [];
      let saved = null;
      try { saved = sessionStorage.getItem('sb.sub'); } catch (e) { /* private mode */ }
      state.sub = subs.includes(saved) ? saved : (subs[0] || null);
    } else {
      state.sub = sess.subaccount;
    }
    renderHeader();
  }

  function renderHeader() {
    const sess = state.session;
    $('#topbar').hidden = !sess;
    if (!sess) return;
    $('#who-user').textContent = sess.user;
    $('#who-role').textContent = sess.role;
    const support = sess.role === 'support';
    $('#nav-blocked').hidden = !support;
    $('#sub-box').hidden = !support;
    $('#sub-fixed').textContent = support ? '' : (sess.subaccount || '');
    if (support) {
      const sel = $('#sub-select');
      sel.replaceChildren(...(sess.subaccounts || []).map((n) => {
        const o = h('option', { value: n }, n);
        o.selected = n === state.sub;
        return o;
      }));
    }
  }

  function sessionLost() {
    state.session = null;
    renderHeader();
    renderLogin('Your session has ended; log in again.');
  }

  function renderLogin(notice) {
    leaveRoute();
    document.title = 'Log in · switchboard';
    const main = $('#main');
    const user = h('input', { id: 'login-user', name: 'user', autocomplete: 'username',
      required: true, autocapitalize: 'none', spellcheck: 'false' });
    const pw = h('input', { id: 'login-password', name: 'password', type: 'password',
      autocomplete: 'current-password', required: true });
    const err = errorBox();
    err.id = 'login-error';
    const submit = h('button', { type: 'submit', id: 'login-submit' }, 'Log in');
    const form = h('form', { class: 'card login', id: 'login-form' },
      h('h1', null, 'switchboard console'),
      notice ? h('p', { class: 'notice' }, notice) : null,
      field('User name', user), field('Password', pw), err,
      h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      submit.disabled = true;
      try {
        const sess = await api('POST', '/v1/session', { user: user.value, password: pw.value },
          { noSub: true, noLogout: true });
        pw.value = '';
        setSession(sess);
        if (!location.hash || location.hash === '#/' || location.hash === '#/login')
          location.hash = '#/messages';
        else
          route();
      } catch (e) {
        if (e.status === 429) {
          const n = parseInt(e.retryAfter, 10);
          showError(err, new Error(`too many attempts, retry in ${Number.isFinite(n) ? n : '?'}s`));
        } else {
          showError(err, e);
        }
        pw.select();
      } finally {
        submit.disabled = false;
      }
    });
    main.replaceChildren(form);
    user.focus();
  }

  async function logout() {
    try {
      await api('DELETE', '/v1/session', undefined, { noSub: true, noLogout: true });
    } catch (e) {
      // The session is gone from this page either way.
    }
    state.session = null;
    state.sub = null;
    state.search = { filters: {}, before: null, pages: [] };
    renderHeader();
    renderLogin('You are logged out.');
  }

  // ---- confirmation dialog ---------------------------------------------

  function confirmDialog(title, body, ok) {
    const dlg = $('#confirm');
    $('#confirm-title').textContent = title;
    $('#confirm-body').textContent = body;
    $('#confirm-ok').textContent = ok;
    const back = document.activeElement;
    return new Promise((resolve) => {
      dlg.returnValue = '';
      dlg.addEventListener('close', () => {
        resolve(dlg.returnValue === 'ok');
        if (back && back.isConnected) back.focus();
      }, { once: true });
      dlg.showModal();
      $('#confirm-cancel').focus();
    });
  }

  // ---- routing ----------------------------------------------------------

  function leaveRoute() {
    state.route.token++;
    for (const fn of state.route.cleanups.splice(0)) {
      try { fn(); } catch (e) { /* ignore */ }
    }
  }

  // What a view gets: alive() while it is shown, later(fn, ms) a timer
  // cleared when the view is left, onLeave(fn).
  function makeCtx() {
    const token = state.route.token;
    const ctx = {
      alive: () => token === state.route.token,
      onLeave: (fn) => state.route.cleanups.push(fn),
      later: (fn, ms) => {
        const t = setTimeout(() => { if (ctx.alive()) fn(); }, ms);
        ctx.onLeave(() => clearTimeout(t));
        return t;
      },
    };
    return ctx;
  }

  // Each screen's file (console_NAME.js) puts its views in SB.views.
  const routes = [
    [/^\/messages(?:\/(\d+))?$/, 'messages', 'messages'],
    [/^\/broadcasts$/, 'broadcasts', 'broadcasts'],
    [/^\/broadcasts\/(\d+)$/, 'broadcasts', 'broadcast'],
    [/^\/templates$/, 'templates', 'templates'],
    [/^\/folders(?:\/([a-z_]+))?$/, 'folders', 'folders'],
    [/^\/blocked$/, 'blocked', 'blocked'],
  ];
  function route() {
    if (!state.session) return;
    const hash = location.hash || '#/messages';
    if (!hash.startsWith('#/')) return;    // an in-page anchor, not a screen
    const path = hash.slice(1);
    leaveRoute();
    clearFlash();
    const ctx = makeCtx();
    const main = $('#main');
    for (const [re, name, viewName] of routes) {
      const m = re.exec(path);
      const view = SB.views[viewName];
      if (!m || !view) continue;
      for (const a of document.querySelectorAll('#nav a')) {
        if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      }
      main.replaceChildren();
      view(main, m.slice(1), ctx).catch((e) => {
        if (!ctx.alive()) return;
        main.append(h('div', { class: 'error', role: 'alert' }, e.message || String(e)));
      });
      return;
    }
    location.replace('#/messages');
  }

  function title(main, text, ...extra) {
    document.title = `${text} · switchboard`;
    const h1 = h('h1', { tabindex: '-1' }, text);
    main.append(h('div', { class: 'page-head' }, h1, ...extra));
    if (!main.contains(document.activeElement) || document.activeElement === main) h1.focus();
    return h1;
  }

  // Re-render a part of the page in place, keeping the focused element's
  // place (by id) so a poll does not throw a keyboard user out.
  function replaceKeepingFocus(container, kids) {
    const fid = document.activeElement && container.contains(document.activeElement)
      ? document.activeElement.id : null;
    container.replaceChildren(...kids);
    if (fid) {
      const el = document.getElementById(fid);
      if (el) el.focus();
    }
  }

  // New send time (and text) for a scheduled message.
  function rescheduleForm(id, sendAt, textNow, done) {
    const at = h('input', { id: 'reschedule-at', type: 'datetime-local', required: true,
      value: isoToLocal(sendAt) });
    const text = textNow != null ? h('textarea', { id: 'reschedule-text', rows: 3 }, textNow) : null;
    const err = errorBox();
    const form = h('form', { class: 'inline-form', id: 'reschedule-form' },
      h('h3', null, `Reschedule message ${id}`),
      field('New send time', at, 'A time in the past sends it now.'),
      text ? field('Text', text, 'Leave it as it is to keep the text.') : null,
      err,
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'reschedule-save' }, 'Save')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      try {
        const body = { send_at: localToIso(at.value) };
        if (text && text.value !== textNow && text.value !== '') body.text = text.value;
        await api('POST', `/v1/messages/${id}/reschedule`, body);
        done();
      } catch (e) { showError(err, e); }
    });
    return form;
  }

  Object.assign(SB, {
    $, api, append, badge, bcLink, button, CHANNEL_TYPES, clearFlash, confirmDialog, COUNTRIES,
    errorBox, excerpt, field, FINAL, flash, FOLDERS, GROUPS, h, isoToLocal, leaveRoute,
    localToIso, logout, makeCtx, nextId, pad, PAGE, pagerButtons, pct, plural, POLL_MS, qs,
    renderHeader, renderLogin, replaceKeepingFocus, rescheduleForm, route, s, SEARCH_FIELDS,
    select, sessionLost, setAttrs, setSession, showError, state, STATUSES, SVG, table, time,
    title,
  });

  // ---- start --------------------------------------------------------------

  async function start() {
    $('#logout').addEventListener('click', logout);
    $('.skip').addEventListener('click', (ev) => { ev.preventDefault(); $('#main').focus(); });
    $('#sub-select').addEventListener('change', (ev) => {
      state.sub = ev.target.value;
      try { sessionStorage.setItem('sb.sub', state.sub); } catch (e) { /* private mode */ }
      state.search = { filters: {}, before: null, pages: [] };
      route();
    });
    window.addEventListener('hashchange', () => { if (state.session) route(); });
    try {
      setSession(await api('GET', '/v1/session', undefined, { noSub: true, noLogout: true }));
    } catch (e) {
      renderLogin(e.status === 401 ? null : e.message);
      return;
    }
    if (!location.hash || location.hash === '#/') location.replace('#/messages');
    route();
  }

  // After every screen's file has run (they load deferred, in order).
  document.addEventListener('DOMContentLoaded', start);
})();
