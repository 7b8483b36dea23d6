/*
 * console_blocked.js - the console's Blocked content screen (support
 * users): the messages the content filter rejected, allowing the word or
 * domain for the subaccount, resending, the allowlist with revoke. Loaded
 * after console.js, whose helpers it takes from SB.
 */
'use strict';

(() => {
  const { $, api, badge, button, errorBox, excerpt, field, FINAL, flash, h, PAGE, pagerButtons,
    qs, s, select, showError, state, table, time, title } = SB;

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

  SB.views.blocked = viewBlocked;
})();
