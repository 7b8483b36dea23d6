/*
 * console_broadcasts.js - the console's Broadcast logs: the list with each
 * broadcast's progress and percentages, one broadcast with its successful
 * and failed recipients (polled while it runs), Stop and Restart after a
 * confirmation. Loaded after console.js, whose helpers it takes from SB.
 */
'use strict';

(() => {
  const { $, api, badge, bcLink, button, confirmDialog, errorBox, excerpt, FINAL, flash, h,
    PAGE, pagerButtons, pct, plural, POLL_MS, qs, replaceKeepingFocus, s, showError, state,
    table, time, title } = SB;

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

  SB.views.broadcasts = viewBroadcasts;
  SB.views.broadcast = viewBroadcast;
})();
