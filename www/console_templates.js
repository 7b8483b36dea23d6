/*
 * console_templates.js - the console's Templates screen: statistics per
 * template over a time range (optionally one channel type), as a table
 * and a bar chart with a text alternative. Loaded after console.js, whose
 * helpers it takes from SB.
 */
'use strict';

(() => {
  const { $, api, button, CHANNEL_TYPES, errorBox, excerpt, field, h, nextId, pct, qs, s,
    select, showError, table, time, title } = SB;

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

  SB.views.templates = viewTemplates;
})();
