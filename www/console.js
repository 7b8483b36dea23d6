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

  const routes = [
    [/^\/messages(?:\/(\d+))?$/, 'messages', viewMessages],
    [/^\/broadcasts$/, 'broadcasts', viewBroadcasts],
    [/^\/broadcasts\/(\d+)$/, 'broadcasts', viewBroadcast],
    [/^\/templates$/, 'templates', viewTemplates],
    [/^\/folders(?:\/([a-z_]+))?$/, 'folders', viewFolders],
    [/^\/blocked$/, 'blocked', viewBlocked],
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
    for (const [re, name, view] of routes) {
      const m = re.exec(path);
      if (!m) continue;
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

  // ---- messages -----------------------------------------------------------

  async function viewMessages(main, [openId], ctx) {
    title(main, 'Sent messages');
    const sendBox = sendForm(ctx, () => runSearch(false));
    const f = state.search.filters;
    const ctl = {};
    const mk = (name, el) => {
      el.name = name;
      el.id = `f-${name.replace('_', '-')}`;
      ctl[name] = el;
      return el;
    };
    const any = [['', 'Any']];
    const input = (name, attrs) => mk(name, h('input', { value: f[name] || '', ...attrs }));
    const form = h('form', { class: 'card filters', id: 'search-form', 'aria-labelledby': 'search-h' },
      h('h2', { id: 'search-h' }, 'Find messages'),
      h('div', { class: 'grid' },
        field('Status group', mk('group', select({}, [...any, ...GROUPS], f.group))),
        field('Status', mk('status', select({}, [...any, ...STATUSES.map((x) => [x, x])], f.status))),
        field('Broadcast id', input('broadcast', { inputmode: 'numeric', pattern: '[0-9]*' })),
        field('Channel type', mk('channel_type', select({}, [...any, ...CHANNEL_TYPES], f.channel_type))),
        h('div', { class: 'field phone wide' },
          h('label', { for: 'f-to' }, 'Phone'),
          h('div', { class: 'inline' },
            h('label', { for: 'f-country', class: 'vh' }, 'Country code'),
            mk('country', select({}, COUNTRIES, f.country)),
            input('to', { type: 'tel', autocomplete: 'off', placeholder: '11 99999-0001 or +5511…' }))),
        field('File name', input('file_name')),
        field('Template', input('template')),
        field('Text contains', input('text', { minlength: 3 })),
        field('From', input('from', { type: 'datetime-local' })),
        field('Until', input('until', { type: 'datetime-local' }))),
      h('p', { class: 'hint', id: 'range-note' }, 'A search covers at most 3 months (92 days) of ',
        'trigger time; with one end only, the other is 92 days from it.'),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', id: 'search-submit' }, 'Search'),
        button('Clear filters', { class: 'secondary', id: 'search-clear' }, () => {
          for (const k of SEARCH_FIELDS) ctl[k].value = '';
          runSearch(true);
        })));
    ctl.from.setAttribute('aria-describedby', 'range-note');
    ctl.until.setAttribute('aria-describedby', 'range-note');
    const err = errorBox();
    const results = h('div', { id: 'results' });
    const preview = h('section', { id: 'preview', class: 'card preview', hidden: true,
      'aria-labelledby': 'preview-title' });
    main.append(h('div', { class: 'split' },
      h('div', { class: 'split-main' }, sendBox, form, err, results), preview));

    let selected = openId ? Number(openId) : null;
    preview.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !$('#confirm').open) {
        const b = $('#preview-close');
        if (b) { ev.preventDefault(); b.click(); }
      }
    });

    form.addEventListener('submit', (ev) => { ev.preventDefault(); runSearch(true); });

    async function runSearch(fromStart) {
      const nf = {};
      for (const k of SEARCH_FIELDS) nf[k] = ctl[k].value.trim();
      state.search.filters = nf;
      if (fromStart) { state.search.before = null; state.search.pages = []; }
      showError(err, null);
      let q;
      try {
        q = {
          group: nf.group, status: nf.status, broadcast: nf.broadcast,
          channel_type: nf.channel_type, to: nf.to,
          country: nf.to && !nf.to.startsWith('+') ? nf.country : '',
          file_name: nf.file_name, template: nf.template, text: nf.text,
          from: localToIso(nf.from), until: localToIso(nf.until),
          before: state.search.before, limit: PAGE,
        };
      } catch (e) { showError(err, e); return; }
      try {
        const res = await api('GET', `/v1/search${qs(q)}`);
        if (ctx.alive()) renderResults(res);
      } catch (e) {
        if (ctx.alive()) { showError(err, e); results.replaceChildren(); }
      }
    }

    function renderResults(res) {
      const rows = res.messages.map((m) => {
        const tr = h('tr', { tabindex: '0', class: 'clickable', 'data-id': m.id,
          'aria-current': m.id === selected ? 'true' : null },
        h('td', { class: 'num' }, String(m.id)),
        h('td', { class: 'phone' }, m.to),
        h('td', null, m.template
          ? m.template : h('span', { class: 'muted', title: m.text || '' }, excerpt(m.text, 40))),
        h('td', null, badge(m.status)),
        h('td', null, time(m.created)),
        h('td', null, m.status === 'delivered' || m.status === 'read' ? time(m.updated) : time(null)),
        h('td', null, m.channel_type || '—'));
        const open = () => {
          selected = m.id;
          for (const r of results.querySelectorAll('tr[aria-current]')) r.removeAttribute('aria-current');
          tr.setAttribute('aria-current', 'true');
          openPreview(m.id);
        };
        tr.addEventListener('click', open);
        tr.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); open(); }
        });
        return tr;
      });
      const total = `${res.total}${res.total_exact === false ? '+' : ''}`;
      const pageNo = state.search.pages.length + 1;
      const nav = h('div', { class: 'pager' },
        h('span', { id: 'total', role: 'status' },
          `${total} message${res.total === 1 ? '' : 's'} · page ${pageNo}`),
        state.search.pages.length ? button('Previous page', { class: 'secondary', id: 'prev-page' }, () => {
          state.search.before = state.search.pages.pop();
          runSearch(false);
        }) : null,
        res.next_before != null ? button('Next page', { class: 'secondary', id: 'next-page' }, () => {
          state.search.pages.push(state.search.before);
          state.search.before = res.next_before;
          runSearch(false);
        }) : null);
      results.replaceChildren(
        rows.length
          ? table('Messages found (select a row to preview it)',
            [['Id', 'num'], 'Phone', 'Template / text', 'Status', 'Triggered', 'Delivered', 'Channel type'],
            rows, { id: 'messages-table', class: 'rows' })
          : h('p', { class: 'empty' }, 'No message matches these filters.'),
        nav);
    }

    async function openPreview(id) {
      preview.hidden = false;
      preview.replaceChildren(h('p', { class: 'loading' }, `Loading message ${id}…`));
      const render = await messagePreview(id, ctx, {
        onChange: () => { runSearch(false); openPreview(id); },
        onClose: () => {
          preview.hidden = true;
          selected = null;
          const row = results.querySelector(`tr[data-id="${id}"]`);
          if (row) { row.removeAttribute('aria-current'); row.focus(); }
          if (location.hash !== '#/messages') history.replaceState(null, '', '#/messages');
        },
      });
      if (!ctx.alive()) return;
      preview.replaceChildren(...render);
      const t = $('#preview-title');
      if (t) t.focus();
    }

    await runSearch(false);
    if (selected) openPreview(selected);
  }

  // The "send a message" form, on the messages screen.
  function sendForm(ctx, after) {
    const to = h('input', { id: 'send-to', type: 'tel', required: true, autocomplete: 'off',
      placeholder: '+5511999990001, 11 99999-0002' });
    const text = h('textarea', { id: 'send-text', rows: 2, required: true });
    const at = h('input', { id: 'send-at', type: 'datetime-local' });
    const err = errorBox();
    const out = h('p', { id: 'send-result', class: 'result', 'aria-live': 'polite' });
    const form = h('form', { class: 'send-form', id: 'send-form' },
      h('div', { class: 'grid' },
        field('To (one or more numbers, comma separated)', to),
        field('Text', text),
        field('Send at (optional; empty: now)', at)),
      err,
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'send-submit' }, 'Send'), out));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(err, null);
      out.textContent = '';
      const body = { to: to.value.split(',').map((x) => x.trim()).filter(Boolean), text: text.value };
      if (body.to.length === 1) body.to = body.to[0];
      try {
        if (at.value) body.send_at = localToIso(at.value);
        const res = await api('POST', '/v1/messages', body);
        if (!ctx.alive()) return;
        const ids = res.messages.map((m) => `${m.id}${m.status ? ` (${m.status})` : ''}`);
        out.textContent = `Sent: message ${ids.join(', ')}` +
          (res.broadcast != null ? `, broadcast ${res.broadcast}` : '') + '.';
        text.value = '';
        at.value = '';
        after();
      } catch (e) {
        showError(err, e);
      }
    });
    return h('details', { class: 'card send', id: 'send-box' },
      h('summary', null, 'Send a message'), form);
  }

  // The preview of one message, as a list of nodes; with cancel and
  // reschedule where its status allows.
  async function messagePreview(id, ctx, { onChange, onClose }) {
    let p;
    let m;
    try {
      [p, m] = await Promise.all([
        api('GET', `/v1/messages/${id}/preview`),
        api('GET', `/v1/messages/${id}`),
      ]);
    } catch (e) {
      return [h('h2', { id: 'preview-title', tabindex: '-1' }, `Message ${id}`),
        h('div', { class: 'error', role: 'alert' }, e.message),
        button('Close', { class: 'secondary', id: 'preview-close' }, onClose)];
    }
    const err = errorBox();
    const seg = p.sms
      ? `${plural(p.sms.segments, 'segment')} (${/^gsm/i.test(p.sms.encoding) ? 'GSM-7' : 'UCS-2'}, ` +
        `${p.sms.units} units, ${p.sms.per_segment} per segment)`
      : '—';
    const dl = (pairs) => h('dl', { class: 'facts' },
      pairs.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
    const attempts = (p.attempts || []).map((a) => h('li', null,
      h('div', { class: 'att-head' },
        h('strong', null, `Step ${a.step}`), ' · ', a.channel || '—', ' · ', badge(a.status),
        a.tries != null ? ` · ${a.tries} ${a.tries === 1 ? 'try' : 'tries'}` : ''),
      h('div', { class: 'att-times' },
        'created ', time(a.created), ', sent ', time(a.sent), ', accepted ', time(a.accepted),
        ', final ', time(a.final)),
      a.error ? h('div', { class: 'att-error' },
        `error: ${a.error_code ? `${a.error_code}: ` : ''}${a.error}`) : null));
    const history = (m.history || []).map((x) => h('li', null, time(x.at), ' ', badge(x.status),
      x.reason ? ` ${x.reason}` : ''));
    const actions = h('div', { class: 'actions' });
    const canCancel = p.status === 'scheduled' || p.status === 'queued';
    const canReschedule = p.status === 'scheduled';
    const formBox = h('div');
    if (canCancel) {
      actions.append(button('Cancel message', { class: 'danger', id: 'msg-cancel' }, async () => {
        const ok = await confirmDialog(`Cancel message ${id}?`,
          `Message ${id} to ${p.to} is ${p.status}; cancelled, it will not be sent.`, 'Cancel message');
        if (!ok) return;
        try {
          await api('POST', `/v1/messages/${id}/cancel`);
          flash(`Message ${id} cancelled.`);
          onChange();
        } catch (e) { showError(err, e); }
      }));
    }
    if (canReschedule) {
      actions.append(button('Reschedule', { class: 'secondary', id: 'msg-reschedule',
        'aria-expanded': 'false', 'aria-controls': 'reschedule-form' }, (ev) => {
        const open = !formBox.firstChild;
        ev.currentTarget.setAttribute('aria-expanded', String(open));
        formBox.replaceChildren(...(open ? [rescheduleForm(id, m.send_at, p.template ? null : p.text,
          () => { flash(`Message ${id} rescheduled.`); onChange(); })] : []));
        if (open) $('#reschedule-at').focus();
      }));
    }
    actions.append(button('Close', { class: 'secondary', id: 'preview-close' }, onClose));
    return [
      h('h2', { id: 'preview-title', tabindex: '-1' }, `Message ${p.id}`),
      dl([
        ['To', h('span', { class: 'phone' }, p.to)],
        ['Status', [badge(p.status), p.reason ? h('span', { class: 'reason' }, ` ${p.reason}`) : '']],
        ['Channel', p.channel ? `${p.channel} (${p.channel_type})` : '—'],
        ['Template', p.template ? `${p.template.name} v${p.template.version}` : '—'],
        ['Broadcast', p.broadcast != null
          ? [bcLink(p.broadcast), p.file_name ? ` (${p.file_name})` : '']
          : '—'],
        ['User', p.user || '—'],
        ['Subaccount', p.subaccount || '—'],
        ['Segments', seg],
      ]),
      h('h3', null, 'Content'),
      h('pre', { class: 'content', id: 'preview-text' }, p.text == null ? '' : p.text),
      h('h3', null, 'Times'),
      dl([
        ['Triggered', time(p.times && p.times.triggered)],
        m.send_at ? ['Send at', time(m.send_at)] : null,
        ['Sent', time(p.times && p.times.sent)],
        ['Delivered', time(p.times && p.times.delivered)],
        ['Read', time(p.times && p.times.read)],
      ]),
      h('h3', null, 'Attempts'),
      attempts.length ? h('ol', { class: 'timeline', id: 'preview-attempts' }, attempts)
        : h('p', { class: 'muted' }, 'No attempt (yet).'),
      history.length ? h('details', null, h('summary', null, `History (${history.length} changes)`),
        h('ol', { class: 'timeline' }, history)) : null,
      err, actions, formBox,
    ];
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

  // ---- broadcasts ---------------------------------------------------------

  function countsOf(b) {
    const c = b.counts || {};
    const n = (k) => c[k] || 0;
    let fin = 0;
    for (const k of FINAL) fin += n(k);
    return {
      final: fin,
      total: b.messages || 0,
      pending: n('scheduled') + n('queued'),
      retry: n('undeliverable') + n('failed') + n('expired') + n('cancelled'),
    };
  }

  function progress(b, id) {
    const c = countsOf(b);
    return h('span', { class: 'progress' },
      h('progress', { max: c.total || 1, value: c.final, id,
        'aria-label': `${c.final} of ${c.total} final` }),
      ` ${c.final}/${c.total}`);
  }

  async function viewBroadcasts(main, params, ctx) {
    title(main, 'Broadcast logs');
    const err = errorBox();
    const box = h('div', { id: 'broadcasts' });
    main.append(err, box);
    const pages = [];
    let before = null;

    async function load() {
      let res;
      try {
        res = await api('GET', `/v1/broadcasts${qs({ before, limit: PAGE })}`);
      } catch (e) { showError(err, e); return; }
      if (!ctx.alive()) return;
      const rows = res.broadcasts.map((b) => h('tr', { 'data-id': b.id },
        h('td', { class: 'num' }, h('a', { href: `#/broadcasts/${b.id}` }, `#${b.id}`)),
        h('td', null, time(b.created)),
        h('td', null, b.source, b.restart_of ? ` of #${b.restart_of}` : ''),
        h('td', null, b.user || '—'),
        h('td', null, b.template ? `template ${b.template}` : excerpt(b.text, 40),
          b.file_name ? h('div', { class: 'muted' }, b.file_name) : null),
        h('td', { class: 'num' }, String(b.messages)),
        // The list's rows carry their figures (final, running, percentages).
        h('td', null, h('span', { class: 'progress' },
          h('progress', { max: b.messages || 1, value: b.final,
            'aria-label': `${b.final} of ${b.messages} final` }),
          ` ${b.final}/${b.messages}`),
        b.running ? h('span', { class: 'badge st-sending' }, 'running') : ''),
        h('td', { class: 'num' }, pct(b.delivered_pct)),
        h('td', { class: 'num' }, pct(b.read_pct)),
        h('td', null, b.stopped ? h('span', { class: 'badge st-cancelled' }, 'stopped') : '')));
      box.replaceChildren(
        rows.length ? table('Broadcasts, newest first',
          [['Id', 'num'], 'Created', 'Source', 'User', 'Text or template', ['Messages', 'num'],
            'Progress', ['Delivered', 'num'], ['Read', 'num'], ''],
          rows, { id: 'broadcasts-table' }) : h('p', { class: 'empty' }, 'No broadcast yet.'),
        h('div', { class: 'pager' },
          pagerButtons(pages, res.next_before, (b) => { before = b; load(); }, () => before)));
    }
    await load();
  }

  async function viewBroadcast(main, [idStr], ctx) {
    const id = Number(idStr);
    title(main, `Broadcast #${id}`, h('a', { href: '#/broadcasts', class: 'back' }, '← all broadcasts'));
    const err = errorBox();
    err.id = 'broadcast-error';
    const summary = h('div', { id: 'bc-summary', class: 'card' });
    const stopBtn = button('Stop', { class: 'danger', id: 'bc-stop', disabled: true }, () => doStop());
    const restartBtn = button('Restart', { id: 'bc-restart', disabled: true }, () => doRestart());
    const actionNote = h('p', { class: 'hint', id: 'bc-action-note' });
    const lists = h('div', { class: 'two-col', id: 'bc-lists' });
    main.append(err, summary, h('div', { class: 'actions' }, stopBtn, restartBtn), actionNote, lists);
    let sb = null;
    let fb = null;
    const sPages = [];
    const fPages = [];
    let last = null;
    let timer = null;

    async function load() {
      clearTimeout(timer);
      let b;
      try {
        const q = qs({ limit: PAGE, successful_before: sb, failed_before: fb });
        b = await api('GET', `/v1/broadcasts/${id}${q}`);
      } catch (e) {
        if (ctx.alive()) showError(err, e);
        return;
      }
      if (!ctx.alive()) return;
      last = b;
      render(b);
      if (b.running) timer = ctx.later(load, POLL_MS);
    }

    function render(b) {
      const c = countsOf(b);
      const counts = Object.entries(b.counts || {}).filter(([, n]) => n > 0)
        .map(([k, n]) => h('li', { 'data-status': k }, badge(k), ` ${n}`));
      replaceKeepingFocus(summary, [
        h('dl', { class: 'facts wide' },
          h('dt', null, 'State'), h('dd', { id: 'bc-state' },
            b.running ? h('span', { class: 'badge st-sending' }, 'running')
              : h('span', { class: 'badge st-delivered' }, 'finished'),
            b.stopped
              ? [' ', h('span', { class: 'badge st-cancelled' }, 'stopped'), ' at ', time(b.stopped)] : ''),
          h('dt', null, 'Progress'), h('dd', null, progress(b, 'bc-progress'), ' final'),
          h('dt', null, 'Delivered'), h('dd', { id: 'bc-delivered-pct' }, pct(b.delivered_pct)),
          h('dt', null, 'Read'), h('dd', { id: 'bc-read-pct' }, pct(b.read_pct)),
          h('dt', null, 'Text or template'),
          h('dd', null, b.template ? `template ${b.template}` : (b.text || '—')),
          h('dt', null, 'Source'), h('dd', null, b.source,
            b.restart_of ? [' (restart of ', bcLink(b.restart_of), ')'] : ''),
          h('dt', null, 'Restarted by'), h('dd', { id: 'bc-restarted-by' },
            b.restarted_by ? bcLink(b.restarted_by) : '—'),
          h('dt', null, 'File'), h('dd', null, b.file_name || '—'),
          h('dt', null, 'User'), h('dd', null, b.user || '—'),
          h('dt', null, 'Chain'), h('dd', null, b.chain || '—'),
          h('dt', null, 'Created'), h('dd', null, time(b.created))),
        h('h2', null, 'Messages by status'),
        h('ul', { class: 'counts', id: 'bc-counts' }, counts),
      ]);
      stopBtn.disabled = !(b.running && !b.stopped);
      restartBtn.disabled = b.running || !!b.restarted_by || c.retry === 0;
      actionNote.textContent = b.running
        ? (b.stopped ? 'Stopped; waiting for the messages already handed to a carrier.'
          : 'Restart is possible once the broadcast has ended (stop it, or wait).')
        : (b.restarted_by ? `Restarted already, as broadcast #${b.restarted_by}.`
          : (c.retry === 0 ? 'Everyone got it: nothing to restart.' : ''));
      const recip = (which, rows, next, pagesArr) => h('section',
        { 'aria-labelledby': `bc-${which}-h`, class: 'card' },
        h('h2', { id: `bc-${which}-h` },
          which === 'successful' ? 'Successful recipients' : 'Failed recipients'),
        rows.length ? table(null, ['Phone', 'Status', 'Reason', 'Updated', ['Message', 'num']],
          rows.map((r) => h('tr', { 'data-message': r.message },
            h('td', { class: 'phone' }, r.to), h('td', null, badge(r.status)),
            h('td', null, r.reason || '—'), h('td', null, time(r.updated)),
            h('td', { class: 'num' }, h('a', { href: `#/messages/${r.message}` }, String(r.message))))),
          { id: `bc-${which}` }) : h('p', { class: 'empty' }, 'None.'),
        h('div', { class: 'pager' },
          pagesArr.length ? button('Previous page', { class: 'secondary', id: `bc-${which}-prev` }, () => {
            if (which === 'successful') sb = sPages.pop(); else fb = fPages.pop();
            load();
          }) : null,
          next != null ? button('Next page', { class: 'secondary', id: `bc-${which}-next` }, () => {
            if (which === 'successful') { sPages.push(sb); sb = next; } else { fPages.push(fb); fb = next; }
            load();
          }) : null));
      replaceKeepingFocus(lists, [
        recip('successful', b.successful || [], b.next_successful_before, sPages),
        recip('failed', b.failed || [], b.next_failed_before, fPages),
      ]);
    }

    async function doStop() {
      const c = countsOf(last);
      const ok = await confirmDialog(`Stop broadcast #${id}?`,
        `Stop cancels the ${plural(c.pending, 'message')} not yet handed to a carrier; ` +
        'delivered ones stay delivered.',
        'Stop broadcast');
      if (!ok) return;
      showError(err, null);
      try {
        const r = await api('POST', `/v1/broadcasts/${id}/stop`);
        flash(`Broadcast #${id} ${r.status}.`);
      } catch (e) { showError(err, e); }
      load();
    }

    async function doRestart() {
      const c = countsOf(last);
      const ok = await confirmDialog(`Restart broadcast #${id}?`,
        `Restart sends again to the ${plural(c.retry, 'recipient')} who did not get it, ` +
        'as a new broadcast.',
        'Restart broadcast');
      if (!ok) return;
      showError(err, null);
      try {
        const r = await api('POST', `/v1/broadcasts/${id}/restart`);
        flash(`${r.existing ? 'Restarted already' : 'Restarted'}: broadcast #${r.id} sends to ` +
          `${plural(r.recipients, 'recipient')}.`);
      } catch (e) { showError(err, e); }
      load();
    }

    await load();
  }

  // ---- templates ----------------------------------------------------------

  async function viewTemplates(main, params, ctx) {
    title(main, 'Templates');
    const from = h('input', { id: 'st-from', type: 'date' });
    const until = h('input', { id: 'st-until', type: 'date' });
    const ctype = select({ id: 'st-channel-type' }, [['', 'All channel types'], ...CHANNEL_TYPES], '');
    const err = errorBox();
    const out = h('div', { id: 'stats' });
    const form = h('form', { class: 'card filters', id: 'stats-form' },
      h('div', { class: 'grid' },
        field('From (day, UTC)', from), field('Until (day, UTC, included)', until),
        field('Channel type', ctype)),
      h('p', { class: 'hint' },
        'Whole UTC days of trigger time, at most 3 months (92 days); empty: the last 30 days.'),
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'stats-submit' }, 'Show')));
    main.append(form, err, out);
    form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });

    async function load() {
      showError(err, null);
      let untilIso = '';
      if (until.value) {
        const d = new Date(`${until.value}T00:00:00Z`);
        d.setUTCDate(d.getUTCDate() + 1);
        untilIso = d.toISOString().replace(/\.\d{3}Z$/, 'Z');
      }
      let res;
      try {
        const q = qs({ by: 'template', from: from.value ? `${from.value}T00:00:00Z` : '',
          until: untilIso, channel_type: ctype.value });
        res = await api('GET', `/v1/stats${q}`);
      } catch (e) { if (ctx.alive()) { showError(err, e); out.replaceChildren(); } return; }
      if (!ctx.alive()) return;
      const name = (r) => (r.template == null ? '(no template)' : r.template);
      const rows = res.rows.map((r) => h('tr', { 'data-template': r.template == null ? '' : r.template },
        h('th', { scope: 'row' }, name(r)),
        ['triggers', 'delivered', 'read', 'undeliverable', 'failed']
          .map((k) => h('td', { class: 'num' }, String(r[k] ?? 0))),
        h('td', { class: 'num' }, pct(r.delivered_pct))));
      out.replaceChildren(
        h('p', { class: 'muted' }, 'From ', time(res.from), ' until ', time(res.until),
          ctype.value ? ` · ${ctype.value} only` : ''),
        res.rows.length ? chart(res.rows, name) : null,
        res.rows.length ? table('Statistics per template', ['Template', ['Triggers', 'num'],
          ['Delivered', 'num'], ['Read', 'num'], ['Undeliverable', 'num'], ['Failed', 'num'],
          ['Delivered %', 'num']], rows, { id: 'stats-table' })
          : h('p', { class: 'empty' }, 'No message in this time range.'));
    }
    await load();
  }

  // A stacked bar per template: delivered (not read), read, undeliverable,
  // failed, and the rest (pending, cancelled). The table is its text
  // alternative; the <desc> says so and sums it up.
  function chart(rows, name) {
    const segs = [['delivered', 'Delivered', (r) => (r.delivered || 0) - (r.read || 0)],
      ['read', 'Read', (r) => r.read || 0],
      ['undeliverable', 'Undeliverable', (r) => r.undeliverable || 0],
      ['failed', 'Failed', (r) => r.failed || 0],
      ['other', 'Other (pending, cancelled)', (r) => Math.max(0,
        (r.triggers || 0) - (r.delivered || 0) - (r.undeliverable || 0) - (r.failed || 0))]];
    const max = Math.max(1, ...rows.map((r) => r.triggers || 0));
    const W = 640;
    const L = 170;
    const BAR = 20;
    const GAP = 10;
    const H = rows.length * (BAR + GAP) + GAP;
    const tid = nextId('chart-title');
    const did = nextId('chart-desc');
    const desc = rows.map((r) => `${name(r)}: ${r.triggers} triggered, ${r.delivered} delivered, ` +
      `${r.read} read, ${r.undeliverable} undeliverable, ${r.failed} failed`).join('; ');
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', class: 'chart',
      'aria-labelledby': `${tid} ${did}`, id: 'stats-chart', preserveAspectRatio: 'xMinYMin meet' },
    s('title', { id: tid }, 'Messages per template, by outcome'),
    s('desc', { id: did }, `${desc}. The table below has the same numbers.`));
    rows.forEach((r, i) => {
      const y = GAP + i * (BAR + GAP);
      svg.append(s('text', { x: L - 8, y: y + BAR * 0.72, 'text-anchor': 'end', class: 'chart-label' },
        excerpt(name(r), 22)));
      let x = L;
      for (const [cls, label, f] of segs) {
        const v = f(r);
        if (v <= 0) continue;
        const w = ((W - L - 50) * v) / max;
        svg.append(s('rect', { x, y, width: Math.max(w, 1), height: BAR, class: `seg-${cls}` },
          s('title', null, `${name(r)}: ${label} ${v}`)));
        x += w;
      }
      svg.append(s('text', { x: x + 6, y: y + BAR * 0.72, class: 'chart-value' }, String(r.triggers)));
    });
    const legend = h('ul', { class: 'legend', 'aria-hidden': 'true' },
      segs.map(([cls, label]) => h('li', null, h('span', { class: `swatch seg-${cls}` }), label)));
    return h('figure', { class: 'card chart-box' }, svg, legend,
      h('figcaption', { class: 'hint' }, 'Bars: messages triggered per template, by outcome.'));
  }

  // ---- folders ------------------------------------------------------------

  async function viewFolders(main, [name], ctx) {
    name = name || 'inbox';
    const known = FOLDERS.find(([n]) => n === name);
    title(main, `Folders: ${known ? known[1] : name}`);
    const err = errorBox();
    const side = h('nav', { class: 'folder-list card', 'aria-label': 'Folders' });
    const body = h('div', { class: 'folder-body', id: 'folder-items' });
    main.append(err, h('div', { class: 'folders' }, side, h('div', null, body)));
    const pages = [];
    let before = null;

    async function loadCounts() {
      let c;
      try {
        c = await api('GET', '/v1/folders');
      } catch (e) {
        if (ctx.alive()) showError(err, e);
        return;
      }
      if (!ctx.alive()) return;
      side.replaceChildren(h('ul', null, FOLDERS.map(([n, label]) => h('li', null,
        h('a', { href: `#/folders/${n}`, 'aria-current': n === name ? 'page' : null, id: `folder-${n}` },
          h('span', null, label),
          h('span', { class: 'count', 'data-folder': n }, String(c.folders[n] ?? 0)))))),
      h('p', { class: 'muted total' }, `${c.total} in all`));
    }

    async function load() {
      let res;
      try {
        res = await api('GET', `/v1/folders/${encodeURIComponent(name)}${qs({ before, limit: PAGE })}`);
      } catch (e) {
        if (ctx.alive()) showError(err, e);
        return;
      }
      if (!ctx.alive()) return;
      showError(err, null);
      const refresh = () => { loadCounts(); load(); };
      const items = res.items || [];
      let content;
      if (!items.length) content = h('p', { class: 'empty' }, 'This folder is empty.');
      else if (items[0].kind === 'inbound') content = inboundTable(name, items, err, refresh);
      else if (items[0].kind === 'call') content = callTable(name, items);
      else content = messageTable(name, items, err, refresh);
      replaceKeepingFocus(body, [content, h('div', { class: 'pager' },
        pagerButtons(pages, res.next_before, (b) => { before = b; load(); }, () => before))].flat());
    }

    await Promise.all([loadCounts(), load()]);
  }

  // A folder of inbound messages (inbox, flows, archived).
  function inboundTable(folder, items, err, refresh) {
    const archived = folder === 'archived';
    const media = (url) => h('div', null,
      h('a', { href: url, rel: 'noopener noreferrer', target: '_blank' }, 'media'));
    return table(`${folder} items`,
      [['Id', 'num'], 'From', 'To', 'Text', 'Channel', 'Received', archived ? 'From folder' : null,
        'Actions'].filter(Boolean),
      items.map((it) => h('tr', { 'data-id': it.id, 'data-kind': 'inbound' },
        h('td', { class: 'num' }, String(it.id)),
        h('td', { class: 'phone' }, it.from),
        h('td', { class: 'phone' }, it.to || '—'),
        h('td', null, it.text || '', it.media ? media(it.media) : null),
        h('td', null, `${it.channel || '—'} (${it.channel_type || '—'})`),
        h('td', null, time(it.time)),
        archived ? h('td', null, it.archived_from || '—') : null,
        h('td', { class: 'row-actions' }, inboundActions(it, folder, err, refresh)))),
      { id: 'folder-table' });
  }

  function inboundActions(it, folder, err, refresh) {
    const act = async (method, path, okText) => {
      showError(err, null);
      try {
        await api(method, path);
        flash(okText);
        refresh();
      } catch (e) { showError(err, e); }
    };
    if (folder === 'archived') {
      return [
        button('Unarchive', { class: 'secondary small', id: `unarchive-${it.id}` },
          () => act('POST', `/v1/inbound/${it.id}/unarchive`,
            `Message ${it.id} is back in ${it.archived_from || 'its folder'}.`)),
        button('Delete', { class: 'danger small', id: `delete-${it.id}` }, async () => {
          const ok = await confirmDialog(`Delete message ${it.id}?`,
            `The message from ${it.from} is deleted for good; this cannot be undone.`, 'Delete');
          if (ok) act('DELETE', `/v1/inbound/${it.id}`, `Message ${it.id} deleted.`);
        }),
      ];
    }
    return button('Archive', { class: 'secondary small', id: `archive-${it.id}` },
      () => act('POST', `/v1/inbound/${it.id}/archive`, `Message ${it.id} archived.`));
  }

  // The calls folder.
  function callTable(folder, items) {
    return table(`${folder} items`,
      [['Id', 'num'], 'Direction', 'From', 'To', 'Channel', ['Duration', 'num'], 'Started'],
      items.map((it) => h('tr', { 'data-id': it.id, 'data-kind': 'call' },
        h('td', { class: 'num' }, String(it.id)),
        h('td', null, it.direction),
        h('td', { class: 'phone' }, it.from),
        h('td', { class: 'phone' }, it.to),
        h('td', null, it.channel || '—'),
        h('td', { class: 'num' }, it.duration_s == null ? '—' : `${it.duration_s} s`),
        h('td', null, time(it.time)))),
      { id: 'folder-table' });
  }

  // A folder of outbound messages (outbox, sent, schedules, failed); a
  // schedule's text and time can be edited, or it can be cancelled.
  function messageTable(folder, items, err, refresh) {
    const schedules = folder === 'schedules';
    const edit = h('div', { id: 'folder-edit' });
    const editButton = (it) => button('Edit', { class: 'secondary small', id: `edit-${it.id}`,
      'aria-controls': 'folder-edit' }, async () => {
      let m;
      try {
        m = await api('GET', `/v1/messages/${it.id}`);
      } catch (e) {
        showError(err, e);
        return;
      }
      edit.replaceChildren(rescheduleForm(it.id, m.send_at, m.template ? null : m.text, () => {
        flash(`Message ${it.id} rescheduled.`);
        edit.replaceChildren();
        refresh();
      }), button('Close', { class: 'secondary' }, () => edit.replaceChildren()));
      $('#reschedule-at').focus();
    });
    const cancelButton = (it) => button('Cancel', { class: 'danger small', id: `cancel-${it.id}` },
      async () => {
        const ok = await confirmDialog(`Cancel message ${it.id}?`,
          `Message ${it.id} to ${it.to} will not be sent.`, 'Cancel message');
        if (!ok) return;
        try {
          await api('POST', `/v1/messages/${it.id}/cancel`);
          flash(`Message ${it.id} cancelled.`);
          refresh();
        } catch (e) { showError(err, e); }
      });
    return [table(`${folder} items`,
      [['Id', 'num'], 'To', 'Status', 'Text or template', 'Channel type', 'Broadcast', 'Triggered',
        schedules ? 'Actions' : null].filter(Boolean),
      items.map((it) => h('tr', { 'data-id': it.id, 'data-kind': 'message' },
        h('td', { class: 'num' }, h('a', { href: `#/messages/${it.id}` }, String(it.id))),
        h('td', { class: 'phone' }, it.to),
        h('td', null, badge(it.status)),
        h('td', null, it.template ? `template ${it.template}` : excerpt(it.text, 50)),
        h('td', null, it.channel_type || '—'),
        h('td', null, it.broadcast != null ? bcLink(it.broadcast) : '—'),
        h('td', null, time(it.time)),
        schedules ? h('td', { class: 'row-actions' }, editButton(it), cancelButton(it)) : null)),
      { id: 'folder-table' }), edit];
  }

  // ---- blocked content (support) ------------------------------------------

  // "filter 'content': word 'gratis'" -> {kind: 'term', value: 'gratis'};
  // "... link 'bit.ly' (blocked domain)" -> {kind: 'domain', value: 'bit.ly'}.
  function parseReason(reason) {
    const m = /(?:^|[\s:])(word|link) '(.*?)'(?= \(|$)/.exec(reason || '');
    if (!m) return null;
    return { kind: m[1] === 'word' ? 'term' : 'domain', value: m[2] };
  }

  async function viewBlocked(main, params, ctx) {
    title(main, 'Blocked content');
    if (state.session.role !== 'support') {
      main.append(h('p', { class: 'notice' }, 'Blocked content is for the support role.'));
      return;
    }
    const sub = state.sub;
    main.append(h('p', { class: 'muted' }, 'Messages the content filter rejected in subaccount ',
      h('strong', null, sub || '—'), '. Allow the word or link for this subaccount, then resend.'));
    const err = errorBox();
    const list = h('div', { id: 'rejected' });
    const kind = select({ id: 'allow-kind' }, [['term', 'Term (word)'], ['domain', 'Domain (link)']], 'term');
    const value = h('input', { id: 'allow-value', required: true, autocomplete: 'off' });
    const forMsg = h('input', { type: 'hidden', id: 'allow-message' });
    const allowErr = errorBox();
    const after = h('div', { id: 'allow-after', 'aria-live': 'polite' });
    const allowForm = h('form', { class: 'card', id: 'allow-form', 'aria-labelledby': 'allow-h' },
      h('h2', { id: 'allow-h' }, `Allow for ${sub}`),
      h('div', { class: 'grid' }, field('Kind', kind),
        field('Value', value, 'Exactly the quoted word or domain of the reason.')),
      forMsg, allowErr,
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'allow-submit' }, 'Allow')),
      after);
    const resends = h('ul', { id: 'resend-log', class: 'resends' });
    const allowlist = h('div', { id: 'allowlist' });
    main.append(err, h('div', { class: 'split' },
      h('div', { class: 'split-main' },
        h('section', { 'aria-labelledby': 'rej-h' }, h('h2', { id: 'rej-h' }, 'Rejected messages'), list),
        h('section', { 'aria-labelledby': 'al-h', class: 'card' },
          h('h2', { id: 'al-h' }, 'Allowlist'), allowlist)),
      h('div', { class: 'side' }, allowForm,
        h('section', { class: 'card', 'aria-labelledby': 'rs-h' },
          h('h2', { id: 'rs-h' }, 'Resent'), resends))));
    const pages = [];
    let before = null;

    async function loadRejected() {
      let res;
      try {
        res = await api('GET', `/v1/search${qs({ status: 'rejected', before, limit: PAGE })}`);
      } catch (e) { if (ctx.alive()) showError(err, e); return; }
      if (!ctx.alive()) return;
      const rows = res.messages.map((m) => {
        const parsed = parseReason(m.reason);
        return h('tr', { 'data-id': m.id },
          h('td', { class: 'num' }, h('a', { href: `#/messages/${m.id}` }, String(m.id))),
          h('td', { class: 'phone' }, m.to),
          h('td', null, excerpt(m.text, 60)),
          h('td', { class: 'reason' }, m.reason || '—'),
          h('td', null, time(m.created)),
          h('td', { class: 'row-actions' },
            parsed ? button('Allow…', { class: 'secondary small', id: `allow-${m.id}`,
              'aria-controls': 'allow-form' }, () => {
              kind.value = parsed.kind;
              value.value = parsed.value;
              forMsg.value = String(m.id);
              after.replaceChildren();
              showError(allowErr, null);
              value.focus();
            }) : null,
            button('Resend', { class: 'small', id: `resend-${m.id}` }, () => resend(m.id))));
      });
      list.replaceChildren(
        rows.length ? table('Rejected messages',
          [['Id', 'num'], 'Phone', 'Text', 'Reason', 'Triggered', 'Actions'], rows, { id: 'rejected-table' })
          : h('p', { class: 'empty' }, 'No rejected message.'),
        h('div', { class: 'pager' }, h('span', null, `${res.total} rejected`),
          pagerButtons(pages, res.next_before, (b) => { before = b; loadRejected(); }, () => before)));
    }

    async function loadAllowlist() {
      let res;
      try {
        res = await api('GET', '/v1/allowlist');
      } catch (e) {
        if (ctx.alive()) showError(err, e);
        return;
      }
      if (!ctx.alive()) return;
      const entries = res.entries || [];
      // A global entry (subaccount null) is the control socket's to revoke.
      const revoke = (e) => (e.subaccount == null ? h('span', { class: 'muted' }, 'global')
        : button('Revoke', { class: 'secondary small', 'aria-label': `Revoke ${e.kind} ${e.value}` },
          async () => {
            try {
              await api('DELETE', `/v1/allowlist${qs({ kind: e.kind, value: e.value })}`);
              flash(`Revoked ${e.kind} '${e.value}'.`);
              loadAllowlist();
            } catch (x) { showError(err, x); }
          }));
      allowlist.replaceChildren(entries.length
        ? table('Allowed terms and domains', ['Subaccount', 'Kind', 'Value', 'Since', ''],
          entries.map((e) => h('tr', { 'data-kind': e.kind, 'data-value': e.value },
            h('td', null, e.subaccount == null ? 'all subaccounts' : e.subaccount),
            h('td', null, e.kind),
            h('td', null, h('code', null, e.value)),
            h('td', null, time(e.created || e.at)),
            h('td', null, revoke(e)))), { id: 'allowlist-table' })
        : h('p', { class: 'empty' }, 'Nothing allowed.'));
    }

    allowForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(allowErr, null);
      try {
        const r = await api('POST', '/v1/allowlist', { kind: kind.value, value: value.value.trim() });
        if (!ctx.alive()) return;
        const stored = (r && r.value) || value.value.trim();
        const mid = forMsg.value;
        after.replaceChildren(h('p', { class: 'ok' }, `Allowed ${kind.value} '${stored}' for ${sub}.`),
          mid ? button(`Resend message ${mid}`, { id: 'allow-resend' }, () => resend(Number(mid))) : null);
        loadAllowlist();
        const b = $('#allow-resend');
        if (b) b.focus();
      } catch (e) { showError(allowErr, e); }
    });

    async function resend(id) {
      showError(err, null);
      let r;
      try { r = await api('POST', `/v1/messages/${id}/resend`); } catch (e) { showError(err, e); return; }
      if (!ctx.alive()) return;
      const st = h('span', { class: 'status' }, badge('queued'));
      resends.prepend(h('li', { 'data-id': r.id, 'data-resend-of': r.resend_of },
        `Message ${r.resend_of} resent as `, h('a', { href: `#/messages/${r.id}` }, String(r.id)), ': ', st));
      flash(`Message ${id} resent as message ${r.id}.`);
      // Follow the new message until its status is final.
      let n = 0;
      const follow = async () => {
        try {
          const m = await api('GET', `/v1/messages/${r.id}`);
          if (!ctx.alive()) return;
          st.replaceChildren(badge(m.status), m.reason ? ` ${m.reason}` : '');
          if (!FINAL.has(m.status) && ++n < 60) ctx.later(follow, 1000);
        } catch (e) { /* keep the last status */ }
      };
      follow();
      loadRejected();
    }

    await Promise.all([loadRejected(), loadAllowlist()]);
  }

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

  start();
})();
