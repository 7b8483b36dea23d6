/*
 * console_folders.js - the console's Folders: the counts, a folder's items
 * (inbound messages, outbound messages or calls), archive, unarchive and
 * delete, a schedule's text and time. Loaded after console.js, whose
 * helpers it takes from SB.
 */
'use strict';

(() => {
  const { $, api, badge, bcLink, button, confirmDialog, errorBox, excerpt, flash, FOLDERS, h,
    PAGE, pagerButtons, qs, replaceKeepingFocus, rescheduleForm, s, showError, table, time,
    title } = SB;

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

  SB.views.folders = viewFolders;
})();
