/*
 * console_messages.js - the console's Sent messages screen: the search's
 * filters, the paged table, the preview (content, channel, attempts,
 * segments, times, user), sending a message, cancel and reschedule.
 * Loaded after console.js, whose helpers it takes from SB.
 */
'use strict';

(() => {
  const { $, api, badge, bcLink, button, CHANNEL_TYPES, confirmDialog, COUNTRIES, errorBox,
    excerpt, field, flash, GROUPS, h, localToIso, PAGE, plural, qs, rescheduleForm, s,
    SEARCH_FIELDS, select, showError, state, STATUSES, table, time, title } = SB;

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

  SB.views.messages = viewMessages;
})();
