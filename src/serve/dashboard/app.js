/*
 * The certsweep dashboard: a hash router over the REST API of
 * `certsweep serve` (docs/api.md), served by the same process from the bytes
 * compiled into it (src/serve/dashboard.c). Plain DOM, no framework, nothing
 * loaded from elsewhere.
 *
 * Every string that comes from the API goes into the page through
 * textContent or setAttribute, never as HTML: certificate subjects, SANs and
 * finding details are whatever a scanned server chose to send.
 *
 * Each route is an async function that fetches what it shows and returns
 * the page's node. Once a route's data is on screen (or its error is),
 * document.body.dataset.ready is "1"; the browser test waits for that.
 */
'use strict';

(function () {
  const API = '/api/v1';
  const TOKEN_KEY = 'certsweep.token';
  const DAYS_KEY = 'certsweep.chartDays';
  const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
  const STATUSES = ['certificate_found', 'timed_out_connecting', 'timed_out_downloading',
    'connection_refused', 'not_ssl', 'bad_ssl_handshake', 'host_unreachable', 'dns_failed'];
  const JOB_KINDS = ['discovery', 'monitoring', 'vulnscan'];
  const MAX_ROWS = 1000;          /* rows drawn at once; the filter finds the rest */
  const REFRESH_MS = 60000;       /* the page reloads its data this often */
  const REFRESH_BUSY_MS = 5000;   /* ... and this often while a job runs */
  const DAY_MS = 86400000;

  let renderSeq = 0;              /* bumped by every render: late answers are dropped */
  let routeKey = '';              /* the route drawn last: keeps table state on refresh */
  let timers = [];                /* the current page's timeouts, cleared on render */
  const tableState = new Map();   /* route|table -> {key, dir, q} */
  const finishedRuns = new Map(); /* network -> jobs started here that ended, newest last */

  /* ---- small DOM helpers ------------------------------------------------ */

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }

  function setAttrs(el, attrs) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'value') el.value = v;
      else if (k === 'checked') el.checked = !!v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) el.setAttribute(k, String(v));
    }
    append(el, children);
    return el;
  }

  const $ = (sel) => document.querySelector(sel);
  const enc = encodeURIComponent;

  /* ---- formatting ------------------------------------------------------- */

  const p2 = (n) => String(n).padStart(2, '0');
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'always' });

  function parseTime(iso) {
    if (!iso) return null;
    const t = Date.parse(iso);
    return Number.isNaN(t) ? null : t;
  }

  function localTime(t) {
    const d = new Date(t);
    return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}`;
  }

  function localDate(t) {
    const d = new Date(t);
    return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
  }

  /* "in 12 days", "3 hours ago". */
  function relative(t) {
    const s = (t - Date.now()) / 1000;
    const a = Math.abs(s);
    if (a < 45) return s >= 0 ? 'in a few seconds' : 'just now';
    if (a < 2700) return rtf.format(Math.round(s / 60), 'minute');
    if (a < 129600) return rtf.format(Math.round(s / 3600), 'hour');
    if (a < 86400 * 60) return rtf.format(Math.round(s / 86400), 'day');
    if (a < 86400 * 548) return rtf.format(Math.round(s / (86400 * 30.44)), 'month');
    return rtf.format(Math.round(s / (86400 * 365.25)), 'year');
  }

  /* A time as the local date and time, then how far it is from now; the
     UTC value in the tooltip. block puts the relative part on its own line. */
  function when(iso, opts) {
    const t = parseTime(iso);
    if (t === null) return h('span', { class: 'muted' }, opts && opts.none ? opts.none : '—');
    const dateOnly = opts && opts.dateOnly;
    let text = dateOnly ? localDate(t) : localTime(t);
    if (opts && opts.compact && new Date(t).getFullYear() === new Date().getFullYear()) {
      const d = new Date(t);
      text = d.toLocaleDateString('en-US', { month: 'short', day: 'numeric' }) + ' ' + p2(d.getHours()) + ':' + p2(d.getMinutes());
    }
    return h('span', { class: 't' + (opts && opts.block ? ' t-block' : ''), title: localTime(t) + ' local, ' + iso + ' UTC', 'data-time': iso },
      text, h('span', { class: 'rel' }, relative(t)));
  }

  function duration(a, b) {
    const ta = parseTime(a), tb = parseTime(b);
    if (ta === null || tb === null) return '';
    let s = Math.max(0, Math.round((tb - ta) / 1000));
    if (s < 60) return s + ' s';
    const m = Math.floor(s / 60); s %= 60;
    if (m < 60) return `${m} min ${s} s`;
    return `${Math.floor(m / 60)} h ${m % 60} min`;
  }

  /* The CN of a distinguished name ("CN=R3,O=Let's Encrypt,C=US" -> "R3"),
     else the name itself. */
  function dnCN(dn) {
    const m = /(?:^|,\s*)CN=((?:\\,|[^,])*)/.exec(dn || '');
    return m ? m[1].replace(/\\,/g, ',') : dn || '';
  }

  function issuerCell(dn) {
    return dn ? h('span', { class: 'trunc issuer', title: dn }, dnCN(dn)) : null;
  }

  function plural(n, one, many) { return `${n} ${n === 1 ? one : (many || one + 's')}`; }
  function shortHash(sha) { return sha ? sha.slice(0, 12) + '…' : ''; }
  function hostPort(ip, port) { return (ip && ip.includes(':') ? `[${ip}]` : ip) + ':' + port; }

  /* ---- badges ------------------------------------------------------------ */

  const STATUS_CLASS = {
    certificate_found: 'b-ok', timed_out_connecting: 'b-warn', timed_out_downloading: 'b-warn',
    connection_refused: 'b-grey', not_ssl: 'b-purple', bad_ssl_handshake: 'b-bad',
    host_unreachable: 'b-grey', dns_failed: 'b-grey',
  };
  const STATUS_SHORT = {
    certificate_found: 'cert found', timed_out_connecting: 'connect timeout',
    timed_out_downloading: 'download timeout', connection_refused: 'refused', not_ssl: 'not TLS',
    bad_ssl_handshake: 'bad handshake', host_unreachable: 'unreachable', dns_failed: 'DNS failed',
  };
  const STATE_CLASS = { running: 'b-info', done: 'b-ok', interrupted: 'b-warn', failed: 'b-bad',
    pending: 'b-warn', sent: 'b-ok' };   /* jobs, and outbox messages */
  const SEV_CLASS = { critical: 'b-crit', high: 'b-bad', medium: 'b-orange', low: 'b-warn', info: 'b-info' };
  const sevRank = (s) => { const i = SEVERITIES.indexOf(s); return i < 0 ? SEVERITIES.length : i; };

  function statusBadge(status, n) {
    if (!status) return h('span', { class: 'muted' }, '—');
    return h('span', { class: 'badge status ' + (STATUS_CLASS[status] || 'b-grey'), 'data-status': status, title: status },
      (STATUS_SHORT[status] || status.replace(/_/g, ' ')), n !== undefined ? h('span', { class: 'n' }, n) : null);
  }

  function stateBadge(state) {
    return h('span', { class: 'badge state ' + (STATE_CLASS[state] || 'b-grey'), 'data-state': state }, state || '—');
  }

  function sevBadge(sev, n) {
    return h('span', { class: 'badge severity ' + (SEV_CLASS[sev] || 'b-grey'), 'data-severity': sev }, sev,
      n !== undefined ? h('span', { class: 'n' }, n) : null);
  }

  /* The expiry of a certificate: its date, how far, and a badge when it is
     expired or within `soon` days. */
  function expiry(notAfter, soon) {
    const t = parseTime(notAfter);
    if (t === null) return h('span', { class: 'muted' }, '—');
    const days = (t - Date.now()) / DAY_MS;
    const state = days < 0 ? 'expired' : days <= (soon || 30) ? 'soon' : 'ok';
    const rel = state === 'ok' ? h('span', { class: 'rel' }, relative(t))
      : h('span', { class: 'badge expiry ' + (state === 'expired' ? 'b-bad' : 'b-warn'), 'data-expiry': state,
        title: state === 'expired' ? 'expired' : `expires within ${soon || 30} days` }, state === 'expired' ? 'expired ' + relative(t) : relative(t));
    return h('span', { class: 'expires', title: localTime(t) + ' local, ' + notAfter + ' UTC' }, localDate(t), ' ', rel);
  }

  /* A job's counts by status as badges, most frequent status order fixed. */
  function countBadges(counts) {
    const list = STATUSES.filter((s) => counts && counts[s] > 0).map((s) => statusBadge(s, counts[s]));
    return h('span', { class: 'counts' }, list.length ? list : h('span', { class: 'muted small' }, 'no endpoints'));
  }

  /* ---- links -------------------------------------------------------------- */

  const netHref = (name) => '#/networks/' + enc(name);
  const netLink = (name) => (name ? h('a', { href: netHref(name), class: 'net-link' }, name) : h('span', { class: 'muted' }, '—'));
  const certHref = (sha) => '#/certificates/' + sha;
  function certLink(sha, label) {
    if (!sha) return h('span', { class: 'muted' }, 'none');
    return h('a', { href: certHref(sha), class: 'cert-link', title: sha }, label || h('span', { class: 'hash' }, shortHash(sha)));
  }
  function endpointLink(e) {
    return h('span', null, h('a', { href: '#/endpoints/' + e.id, class: 'endpoint-link mono' }, hostPort(e.ip, e.port)),
      e.sni ? [' ', h('span', { class: 'muted small trunc sni', title: 'SNI ' + e.sni }, e.sni)] : null);
  }
  const jobLink = (id) => (id ? h('a', { href: '#/jobs/' + id, class: 'job-link' }, '#' + id) : h('span', { class: 'muted' }, '—'));

  /* ---- the API ------------------------------------------------------------ */

  class ApiError extends Error {
    constructor(status, message, what) {
      super(message);
      this.status = status;
      this.what = what;
    }
  }

  /* No token, or one the server refused: the page asks for one. */
  class NeedToken extends Error {}

  function token() { return localStorage.getItem(TOKEN_KEY) || ''; }

  async function errorText(res) {
    const text = await res.text().catch(() => '');
    try {
      const j = JSON.parse(text);
      if (j && typeof j.error === 'string') return j.error;
    } catch (e) { /* not JSON: show the text itself */ }
    return text.trim().slice(0, 300) || res.statusText || 'no message';
  }

  /* Calls the API; resolves with the decoded JSON (text with opts.text),
     rejects with an ApiError carrying the server's message. */
  async function api(path, opts) {
    opts = opts || {};
    const tok = token();
    if (!tok) throw new NeedToken('');
    const method = opts.method || 'GET';
    const headers = { Authorization: 'Bearer ' + tok, Accept: opts.text ? 'text/plain' : 'application/json' };
    let body;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const what = `${method} ${API}${path}`;
    let res;
    try {
      res = await fetch(API + path, { method, headers, body, cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, 'cannot reach certsweep serve (' + e.message + ')', what);
    }
    if (res.status === 401) {
      const msg = await errorText(res);
      localStorage.removeItem(TOKEN_KEY);
      throw new NeedToken(`The server refused the API token (${msg}). It was removed from this browser; enter a valid one.`);
    }
    if (!res.ok) throw new ApiError(res.status, await errorText(res), what);
    if (res.status === 204) return null;
    return opts.text ? res.text() : res.json();
  }

  /* fn over items, at most `limit` calls at a time, results in order. */
  async function mapLimit(items, limit, fn) {
    const out = new Array(items.length);
    let next = 0;
    async function worker() {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return out;
  }

  /* ---- banners ------------------------------------------------------------ */

  function banner(kind, text, scope) {
    const area = $('#banners');
    const b = h('div', { class: 'banner banner-' + kind, role: kind === 'error' ? 'alert' : 'status', 'data-scope': scope || 'page' },
      h('span', { class: 'msg' }, text),
      h('button', { type: 'button', class: 'close', title: 'Dismiss', 'aria-label': 'Dismiss', onclick: () => b.remove() }, '×'));
    for (const old of area.querySelectorAll('.banner')) {
      if (old.firstChild.textContent === text) old.remove();
    }
    area.appendChild(b);
    return b;
  }

  function clearBanners(scope) {
    for (const b of document.querySelectorAll('#banners .banner')) {
      if (!scope || b.dataset.scope === scope) b.remove();
    }
  }

  function showError(e) {
    if (e instanceof ApiError) {
      const status = e.status ? ` (HTTP ${e.status})` : '';
      banner('error', `${e.what}${status}: ${e.message}`);
    } else {
      banner('error', 'The dashboard failed: ' + (e && e.message ? e.message : String(e)));
    }
  }

  /* ---- tables ------------------------------------------------------------- */

  function cmp(a, b) {
    const an = a === null || a === undefined || a === '', bn = b === null || b === undefined || b === '';
    if (an || bn) return an && bn ? 0 : an ? 1 : -1; /* empty cells last, either way */
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
  }

  /*
   * A sortable, filterable table. spec:
   *   id        names the table (with the route) for the state kept across refreshes
   *   columns   [{key, label, value(row) (sort and filter), cell(row) (node), num, wrap, sortable}]
   *   rows      the data
   *   sort      [key, 'asc'|'desc'] at first
   *   empty     text when there are no rows
   *   rowAttrs  row -> attributes of its <tr>
   * Returns {node, search, count}: the table, its filter box, and the
   * "N of M" label, for the panel to place.
   */
  function table(spec) {
    const key = routeKey + '|' + spec.id;
    const st = tableState.get(key) || {
      key: spec.sort ? spec.sort[0] : null, dir: spec.sort ? spec.sort[1] || 'asc' : 'asc', q: '',
    };
    tableState.set(key, st);
    const cols = spec.columns;
    const valueOf = (c, r) => (c.value ? c.value(r) : r[c.key]);
    const items = spec.rows.map((r) => ({
      r, tr: null,
      text: cols.map((c) => { const v = valueOf(c, r); return v === null || v === undefined ? '' : String(v); })
        .concat(spec.extraText ? [spec.extraText(r)] : []).join(' ').toLowerCase(),
    }));

    const count = h('span', { class: 'count' });
    const search = h('input', {
      type: 'search', class: 'search', placeholder: spec.placeholder || 'Filter…', value: st.q,
      'aria-label': 'Filter ' + (spec.label || 'rows'), 'data-table': spec.id,
    });
    const tbody = h('tbody');
    const foot = h('div', { class: 'table-foot' });
    const ths = cols.map((c) => {
      const sortable = c.sortable !== false;
      const th = h('th', { class: (c.num ? 'num ' : '') + (sortable ? 'sortable' : ''), 'data-key': c.key, scope: 'col' },
        c.label, sortable ? h('span', { class: 'arrow' }, '↕') : null);
      if (sortable) {
        th.addEventListener('click', () => {
          if (st.key === c.key) st.dir = st.dir === 'asc' ? 'desc' : 'asc';
          else { st.key = c.key; st.dir = c.desc ? 'desc' : 'asc'; }
          draw();
        });
      }
      return th;
    });

    function buildRow(r) {
      const tr = h('tr', spec.rowAttrs ? spec.rowAttrs(r) : null);
      for (const c of cols) {
        const cell = c.cell ? c.cell(r) : valueOf(c, r);
        tr.appendChild(h('td', { class: (c.num ? 'num ' : '') + (c.wrap ? 'wrap' : '') },
          cell === null || cell === undefined || cell === '' ? h('span', { class: 'muted' }, '—') : cell));
      }
      return tr;
    }

    function draw() {
      const terms = st.q.toLowerCase().split(/\s+/).filter(Boolean);
      let list = terms.length ? items.filter((i) => terms.every((t) => i.text.includes(t))) : items.slice();
      const col = cols.find((c) => c.key === st.key);
      if (col) {
        const sign = st.dir === 'desc' ? -1 : 1;
        const sv = col.sortValue || ((r) => valueOf(col, r));
        list = list.map((i, n) => ({ i, n, v: sv(i.r) }))
          .sort((a, b) => {
            const an = a.v === null || a.v === undefined || a.v === '', bn = b.v === null || b.v === undefined || b.v === '';
            if (an || bn) return an && bn ? a.n - b.n : an ? 1 : -1;
            return sign * cmp(a.v, b.v) || a.n - b.n;
          })
          .map((x) => x.i);
      }
      ths.forEach((th, n) => {
        const on = cols[n].key === st.key;
        if (on) th.setAttribute('aria-sort', st.dir === 'asc' ? 'ascending' : 'descending');
        else th.removeAttribute('aria-sort');
        const arrow = th.querySelector('.arrow');
        if (arrow) arrow.textContent = on ? (st.dir === 'asc' ? '▲' : '▼') : '↕';
      });
      const shown = list.slice(0, MAX_ROWS);
      tbody.replaceChildren(...shown.map((i) => i.tr || (i.tr = buildRow(i.r))));
      if (!items.length) {
        tbody.replaceChildren(h('tr', { class: 'empty-row' }, h('td', { colspan: cols.length, class: 'empty' }, spec.empty || 'Nothing to show.')));
      } else if (!list.length) {
        tbody.replaceChildren(h('tr', { class: 'empty-row' }, h('td', { colspan: cols.length, class: 'empty' }, `No row matches “${st.q}”.`)));
      }
      count.textContent = terms.length ? `${list.length} of ${items.length}` : String(items.length);
      foot.textContent = list.length > MAX_ROWS
        ? `Showing the first ${MAX_ROWS} of ${list.length} rows: narrow the filter to see the others.`
        : '';
      foot.hidden = !foot.textContent;
    }

    search.addEventListener('input', () => { st.q = search.value; draw(); });
    const node = h('div', { class: 'table-wrap' },
      h('table', { class: 'data', id: 't-' + spec.id, 'data-table': spec.id }, h('thead', null, h('tr', null, ths)), tbody), foot);
    draw();
    return { node, search, count };
  }

  function panel(title, body, opts) {
    opts = opts || {};
    return h('section', { class: 'panel', id: opts.id || null },
      h('div', { class: 'panel-head' }, h('h2', null, title, opts.count ? ' ' : null, opts.count || null),
        opts.tools ? h('div', { class: 'tools' }, opts.tools) : null),
      h('div', { class: 'panel-body' + (opts.flush ? ' flush' : '') }, body));
  }

  function tablePanel(title, spec, tools) {
    const t = table(spec);
    return panel(title, t.node, { flush: true, count: t.count, tools: [tools || null, t.search], id: spec.id ? 'p-' + spec.id : null });
  }

  function facts(pairs) {
    return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', null, k),
      h('dd', null, v === null || v === undefined || v === '' ? h('span', { class: 'muted' }, '—') : v)]));
  }

  function pageHead(title, opts) {
    opts = opts || {};
    return [
      opts.crumbs ? h('div', { class: 'crumbs' }, opts.crumbs.map((c, i) => [i ? ' / ' : '', c])) : null,
      h('div', { class: 'page-head' }, h('h1', null, title), opts.badges || null,
        opts.sub ? h('span', { class: 'sub' }, opts.sub) : null,
        opts.actions ? h('div', { class: 'actions' }, opts.actions) : null),
    ];
  }

  function tile(value, label, cls, href) {
    return h(href ? 'a' : 'div', { class: 'tile ' + (cls || ''), href: href || null, 'data-tile': label },
      h('div', { class: 'v' }, value), h('div', { class: 'l' }, label));
  }

  /* ---- pages --------------------------------------------------------------- */

  function daysLeft(c) {
    const t = parseTime(c.not_after);
    return t === null ? null : (t - Date.now()) / DAY_MS;
  }

  /* The job of a network, for the overview's cells: state, time, counts. */
  function jobCell(job, extra) {
    if (!job) return h('span', { class: 'muted' }, 'never');
    const t = job.finished_at || job.started_at;
    const progress = job.state === 'running' && job.progress
      ? h('span', { class: 'small muted' }, ` ${Math.round(job.progress.percent || 0)}%`) : null;
    return h('div', { class: 'job-cell', 'data-kind': job.kind },
      h('div', null, h('a', { href: '#/jobs/' + job.id, title: `job #${job.id}` }, stateBadge(job.state)), progress, ' ', when(t, { compact: true })),
      h('div', { class: 'job-counts' }, extra !== undefined ? extra : countBadges(job.counts)));
  }

  /* Open findings by severity, as badges. */
  function sevCounts(bySev, href) {
    const list = SEVERITIES.filter((s) => bySev[s]).map((s) => sevBadge(s, bySev[s]));
    const node = h(href ? 'a' : 'span', { class: 'counts', href: href || null }, list.length ? list : h('span', { class: 'muted small' }, 'no open finding'));
    return node;
  }

  function nextDue(net) {
    const due = JOB_KINDS.map((k) => [k, parseTime(net.next_due && net.next_due[k])]).filter(([, t]) => t !== null)
      .sort((a, b) => a[1] - b[1]);
    if (!due.length) return null;
    return h('span', null, h('span', { class: 'small' }, due[0][0]), ' ', when(net.next_due[due[0][0]], { block: true }));
  }

  async function pageOverview(ctx) {
    const chartDays = Number(localStorage.getItem(DAYS_KEY)) || 30;
    const [nets, eps, changedEps, certs, finds] = await Promise.all([
      api('/networks'), api('/endpoints'), api('/endpoints?changed=true'), api('/certificates'), api('/findings'),
    ]);
    const networks = nets.networks || [], endpoints = eps.endpoints || [];
    const certificates = certs.certificates || [], findings = finds.findings || [];

    const perNet = new Map();
    for (const e of endpoints) {
      const n = perNet.get(e.network) || { total: 0, found: 0, soon: 0 };
      n.total++;
      if (e.status === 'certificate_found') n.found++;
      perNet.set(e.network, n);
    }
    const expiryDays = new Map(networks.map((n) => [n.name, n.expiry_days || 30]));
    for (const e of endpoints) {
      if (e.cert && e.cert.not_after) {
        const d = daysLeft(e.cert);
        if (d !== null && d <= (expiryDays.get(e.network) || 30)) perNet.get(e.network).soon++;
      }
    }
    const expired = certificates.filter((c) => daysLeft(c) < 0).length;
    const expiring = certificates.filter((c) => { const d = daysLeft(c); return d !== null && d >= 0 && d <= chartDays; }).length;
    const changed = (changedEps.endpoints || []).length;
    const bySev = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
    const netSev = new Map(networks.map((n) => [n.name, Object.fromEntries(SEVERITIES.map((s) => [s, 0]))]));
    for (const f of findings) {
      if (f.severity in bySev) bySev[f.severity]++;
      if (netSev.has(f.network) && f.severity in bySev) netSev.get(f.network)[f.severity]++;
    }
    const running = networks.some((n) => JOB_KINDS.some((k) => n.last_jobs && n.last_jobs[k] && n.last_jobs[k].state === 'running'));
    if (running) ctx.refreshIn(REFRESH_BUSY_MS);

    const netTable = tablePanel('Networks', {
      id: 'networks', label: 'networks', sort: ['name', 'asc'], empty: 'No network yet: add one with `certsweep network add` or POST /api/v1/networks.',
      rows: networks,
      columns: [
        { key: 'name', label: 'Network', value: (n) => `${n.name} ${(n.ranges || []).join(' ')} ${n.description || ''}`, sortValue: (n) => n.name,
          cell: (n) => h('div', null, h('div', null, h('strong', null, netLink(n.name)), n.enabled === false ? [' ', h('span', { class: 'badge b-grey' }, 'disabled')] : null),
            h('div', { class: 'mono small muted trunc', title: (n.ranges || []).join(' ') }, (n.ranges || []).join(' '))) },
        { key: 'endpoints', label: 'Endpoints', num: true, desc: true, value: (n) => (perNet.get(n.name) || {}).total || 0 },
        { key: 'soon', label: 'Expiring', num: true, desc: true, value: (n) => (perNet.get(n.name) || {}).soon || 0,
          cell: (n) => { const v = (perNet.get(n.name) || {}).soon || 0; return v ? h('span', { class: 'badge b-warn', title: `certificates expired or expiring within ${n.expiry_days} days` }, v) : '0'; } },
        ...JOB_KINDS.map((k) => ({
          key: 'last_' + k, label: 'Last ' + k, wrap: true,
          value: (n) => { const j = n.last_jobs && n.last_jobs[k]; return j ? j.finished_at || j.started_at : null; },
          cell: (n) => jobCell(n.last_jobs && n.last_jobs[k], k === 'vulnscan' ? sevCounts(netSev.get(n.name) || {}, '#/findings?network=' + enc(n.name)) : undefined),
        })),
        { key: 'next', label: 'Next due', desc: false, value: (n) => { const t = JOB_KINDS.map((k) => parseTime(n.next_due && n.next_due[k])).filter((x) => x !== null); return t.length ? Math.min(...t) : null; },
          cell: (n) => nextDue(n) },
      ],
    });

    const chartPanel = expiryChart(certificates, chartDays, ctx);
    const sevPanel = panel('Open findings by severity', severityBars(bySev), {
      id: 'p-severity', tools: h('a', { href: '#/findings', class: 'small' }, 'All findings →'),
    });
    const statusCounts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    for (const e of endpoints) if (e.status in statusCounts) statusCounts[e.status]++;
    const statusPanel = panel('Endpoints by last status', h('div', { class: 'counts', id: 'status-counts' },
      STATUSES.filter((s) => statusCounts[s]).length
        ? STATUSES.filter((s) => statusCounts[s]).map((s) => statusBadge(s, statusCounts[s]))
        : h('span', { class: 'muted' }, 'No endpoint yet.')));

    const high = bySev.critical + bySev.high;
    return h('div', { class: 'page page-overview' },
      pageHead('Overview', { sub: `${plural(networks.length, 'network')} · ${plural(endpoints.length, 'endpoint')} · ${plural(certificates.length, 'certificate')} in use` }),
      h('div', { class: 'tiles' },
        tile(networks.length, 'Networks', 't-info'),
        tile(endpoints.length, 'Endpoints', 't-info'),
        tile(certificates.length, 'Certificates in use', 't-ok', '#/certificates'),
        tile(expired, 'Expired certificates', expired ? 't-bad' : 't-ok', '#/certificates?expiring=expired'),
        tile(expiring, `Expiring in ${chartDays} days`, expiring ? 't-warn' : 't-ok', '#/certificates?expiring=' + chartDays),
        tile(changed, 'Changed endpoints', changed ? 't-warn' : 't-ok', '#/changes'),
        tile(findings.length, `Open findings (${high} high+)`, high ? 't-bad' : findings.length ? 't-warn' : 't-ok', '#/findings')),
      netTable,
      h('div', { class: 'grid grid-2' }, chartPanel, h('div', null, sevPanel, statusPanel)));
  }

  /* Certificates expiring in the next `days` days, one bar per week, and
     a bar for those already expired. */
  function expiryChart(certificates, days, ctx) {
    const weeks = Math.ceil(days / 7);
    const buckets = new Array(weeks + 1).fill(0); /* [0]: expired */
    for (const c of certificates) {
      const d = daysLeft(c);
      if (d === null || d >= days) continue;
      buckets[d < 0 ? 0 : 1 + Math.floor(d / 7)]++;
    }
    const W = 720, H = 220, L = 34, R = 8, T = 14, B = 34;
    const max = Math.max(1, ...buckets);
    const step = max <= 5 ? 1 : Math.ceil(max / 5 / Math.pow(10, Math.floor(Math.log10(max / 5)))) * Math.pow(10, Math.floor(Math.log10(max / 5)));
    const top = Math.ceil(max / step) * step;
    const y = (v) => T + (H - T - B) * (1 - v / top);
    const bw = (W - L - R) / buckets.length;
    const chart = svg('svg', { class: 'chart', id: 'expiry-chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
      'aria-label': `Certificates expiring in the next ${days} days, by week`, 'data-days': days });
    for (let v = 0; v <= top; v += step) {
      chart.appendChild(svg('line', { class: 'grid-line', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      chart.appendChild(svg('text', { x: L - 6, y: y(v) + 3.5, 'text-anchor': 'end' }, v));
    }
    const now = Date.now();
    const labelEvery = Math.ceil(buckets.length / 12);
    buckets.forEach((n, i) => {
      const x = L + i * bw + Math.max(1, bw * 0.15);
      const w = Math.max(1, bw * 0.7);
      const from = now + (i - 1) * 7 * DAY_MS, to = now + i * 7 * DAY_MS;
      const label = i === 0 ? 'expired' : new Date(from).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
      const title = i === 0 ? `${plural(n, 'certificate')} already expired`
        : `${plural(n, 'certificate')} expiring ${localDate(from)} – ${localDate(Math.min(to, now + days * DAY_MS))}`;
      const rect = svg('rect', { class: 'bar' + (i === 0 ? ' expired' : i <= 2 ? ' soon' : ''), x, width: w,
        y: y(n), height: Math.max(0, y(0) - y(n)), 'data-week': i === 0 ? 'expired' : i - 1, 'data-count': n },
      svg('title', null, title));
      rect.style.cursor = 'pointer';
      rect.addEventListener('click', () => { location.hash = '#/certificates?expiring=' + (i === 0 ? 'expired' : Math.min(days, i * 7)); });
      chart.appendChild(rect);
      if (n > 0 && bw >= 14) chart.appendChild(svg('text', { class: 'val', x: x + w / 2, y: y(n) - 3, 'text-anchor': 'middle' }, n));
      if (i % labelEvery === 0) chart.appendChild(svg('text', { x: x + w / 2, y: H - B + 14, 'text-anchor': 'middle' }, label));
    });
    chart.appendChild(svg('line', { class: 'axis', x1: L, x2: W - R, y1: y(0), y2: y(0) }));
    chart.appendChild(svg('text', { x: L, y: H - 4 }, 'week starting'));

    const total = buckets.reduce((a, b) => a + b, 0);
    const select = h('select', { id: 'chart-days', 'aria-label': 'Days ahead' },
      [30, 60, 90, 365].map((d) => h('option', { value: d, selected: d === days }, `next ${d} days`)));
    select.addEventListener('change', () => { localStorage.setItem(DAYS_KEY, select.value); ctx.rerender(); });
    return panel('Certificates expiring, by week', [
      chart,
      h('div', { class: 'legend' }, h('span', null, h('i', { class: 'lg-exp' }), `expired: ${buckets[0]}`),
        h('span', null, `expiring in ${days} days: ${total - buckets[0]}`)),
    ], { id: 'p-chart', tools: select });
  }

  function severityBars(bySev) {
    const max = Math.max(1, ...Object.values(bySev));
    return h('div', { class: 'sev-rows', id: 'severity-bars' }, SEVERITIES.map((s) => [
      h('a', { href: '#/findings?severity=' + s }, sevBadge(s)),
      h('div', { class: 'sev-track' }, (() => { const f = h('div', { class: 'sev-fill sev-' + s }); f.style.width = (100 * bySev[s] / max) + '%'; return f; })()),
      h('span', { class: 'n', 'data-severity-count': s }, bySev[s]),
    ]));
  }

  /* The endpoints table of a network or of the changes page. */
  function endpointColumns(opts) {
    const cols = [
      { key: 'endpoint', label: 'Endpoint', value: (e) => hostPort(e.ip, e.port) + (e.sni ? ' ' + e.sni : ''), cell: endpointLink },
    ];
    if (opts.network) cols.push({ key: 'network', label: 'Network', cell: (e) => netLink(e.network) });
    cols.push(
      { key: 'status', label: 'Status', value: (e) => `${e.status} ${e.reason || ''}`, sortValue: (e) => e.status,
        cell: (e) => h('span', null, statusBadge(e.status), ' ', h('span', { class: 'mono small muted trunc reason', title: e.reason || '' }, e.reason || ''),
          opts.changed && opts.changed.has(e.id) ? [' ', h('span', { class: 'badge b-warn changed', title: 'the last probe differed from the one before' }, 'changed')] : null) },
      { key: 'cert', label: 'Certificate', value: (e) => (e.cert && e.cert.subject_cn) || e.cert_sha256 || null,
        cell: (e) => (e.cert_sha256 ? h('span', { class: 'trunc' }, certLink(e.cert_sha256, e.cert && e.cert.subject_cn ? e.cert.subject_cn : null)) : null) },
      opts.issuer ? { key: 'issuer', label: 'Issuer', value: (e) => (e.cert && e.cert.issuer) || null, sortValue: (e) => dnCN(e.cert && e.cert.issuer) || null,
        cell: (e) => issuerCell(e.cert && e.cert.issuer) } : null,
      { key: 'expires', label: 'Expires', value: (e) => (e.cert && e.cert.not_after) || null,
        cell: (e) => (e.cert ? expiry(e.cert.not_after, opts.soon) : null) },
      { key: 'monitored', label: 'Monitored', value: (e) => (e.monitored ? 'yes' : 'no') },
      { key: 'last_seen', label: 'Last seen', desc: true, cell: (e) => when(e.last_seen, { compact: true }) },
    );
    return cols.filter(Boolean);
  }

  async function pageNetwork(ctx, name) {
    const q = '?network=' + enc(name);
    const [net, eps, changedEps, jobs, finds] = await Promise.all([
      api('/networks/' + enc(name)), api('/endpoints' + q), api('/endpoints' + q + '&changed=true'),
      api('/jobs' + q + '&limit=20'), api('/findings' + q),
    ]);
    const endpoints = eps.endpoints || [];
    const changedIds = new Set((changedEps.endpoints || []).map((e) => e.id));
    const jobList = jobs.jobs || [];
    const findings = finds.findings || [];

    const runs = h('div', { class: 'runs', id: 'runs' });
    const lastId = jobList.reduce((m, j) => Math.max(m, j.id || 0), 0);
    const buttons = JOB_KINDS.map((k) => h('button', {
      type: 'button', class: 'btn' + (k === 'discovery' ? ' btn-primary' : ''), 'data-run': k,
      title: `Start a ${k} of ${name} now`,
      onclick: () => startJob(ctx, name, k, runs, buttons, lastId),
    }, 'Run ' + k));
    for (const j of finishedRuns.get(name) || []) runs.appendChild(progressRow(j).row);
    for (const j of jobList.filter((x) => x.state === 'running')) followJob(ctx, j, runs, buttons, lastId);

    const bySev = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
    for (const f of findings) if (f.severity in bySev) bySev[f.severity]++;
    const statusCounts = {};
    for (const e of endpoints) statusCounts[e.status] = (statusCounts[e.status] || 0) + 1;
    const sched = net.schedule || {};

    const epTable = tablePanel('Endpoints', {
      id: 'endpoints', label: 'endpoints', sort: ['endpoint', 'asc'], rows: endpoints,
      empty: 'No endpoint yet: run a discovery.',
      columns: endpointColumns({ soon: net.expiry_days, changed: changedIds }),
      extraText: (e) => `${changedIds.has(e.id) ? 'changed' : ''} ${(e.cert && e.cert.issuer) || ''}`,
      rowAttrs: (e) => ({ 'data-id': e.id, class: changedIds.has(e.id) ? 'changed-row' : null }),
    });
    const jobTable = tablePanel('Jobs', {
      id: 'jobs', label: 'jobs', sort: ['id', 'desc'], rows: jobList, empty: 'No job has run yet.',
      columns: [
        { key: 'id', label: 'Job', num: true, desc: true, cell: (j) => jobLink(j.id) },
        { key: 'kind', label: 'Kind' },
        { key: 'state', label: 'State', cell: (j) => stateBadge(j.state) },
        { key: 'started_at', label: 'Started', desc: true, cell: (j) => when(j.started_at) },
        { key: 'duration', label: 'Took', value: (j) => { const a = parseTime(j.started_at), b = parseTime(j.finished_at); return a !== null && b !== null ? b - a : null; },
          cell: (j) => duration(j.started_at, j.finished_at) || (j.state === 'running' ? 'running' : '') },
        { key: 'endpoints_scanned', label: 'Scanned', num: true },
        { key: 'counts', label: 'Results', wrap: true, sortable: false, value: (j) => STATUSES.filter((s) => j.counts && j.counts[s]).join(' '),
          cell: (j) => countBadges(j.counts) },
      ],
    });

    return h('div', { class: 'page page-network', 'data-network': name },
      pageHead(name, {
        crumbs: [h('a', { href: '#/' }, 'Overview'), 'Networks'],
        badges: net.enabled === false ? h('span', { class: 'badge b-grey' }, 'disabled') : null,
        sub: net.description || `${plural(endpoints.length, 'endpoint')}`,
        actions: buttons,
      }),
      runs,
      h('div', { class: 'grid grid-2e' },
        panel('Settings', facts([
          ['Ranges', h('span', { class: 'mono' }, (net.ranges || []).join(' '))],
          (net.excludes || []).length ? ['Excludes', h('span', { class: 'mono' }, net.excludes.join(' '))] : null,
          ['Ports', h('span', { class: 'mono' }, String(net.ports || '').replace(/,/g, ', '))],
          (net.snis || []).length ? ['SNI names', net.snis.join(' ')] : null,
          ['Expiry warning', `${net.expiry_days} days`],
          ['Timeouts', `connect ${net.connect_timeout_ms} ms, download ${net.download_timeout_ms} ms`],
          ['Auto-monitor', net.auto_monitor ? 'yes: new certificates are monitored' : 'no'],
          ['Schedule', JOB_KINDS.map((k) => sched[k] ? `${k} every ${sched[k]}` : null).filter(Boolean).join(', ') || 'none (run by hand)'],
          sched.quiet_hours ? ['Quiet hours', sched.quiet_hours] : null,
          ['Next due', JOB_KINDS.some((k) => net.next_due && net.next_due[k])
            ? h('span', null, JOB_KINDS.filter((k) => net.next_due && net.next_due[k]).map((k, i) => [i ? ', ' : '', k + ' ', when(net.next_due[k])]))
            : null],
          ['Alerts to', (net.alert_to || []).join(', ')],
        ]), { id: 'p-settings' }),
        panel('Last jobs', h('div', null,
          facts(JOB_KINDS.map((k) => [k, jobCell(net.last_jobs && net.last_jobs[k])])),
          facts([
            ['Endpoints now', h('span', { class: 'counts' }, STATUSES.filter((s) => statusCounts[s]).map((s) => statusBadge(s, statusCounts[s])))],
            ['Open findings', h('a', { href: '#/findings?network=' + enc(name), class: 'counts' },
              SEVERITIES.filter((s) => bySev[s]).length ? SEVERITIES.filter((s) => bySev[s]).map((s) => sevBadge(s, bySev[s])) : 'none')],
          ])), { id: 'p-lastjobs' })),
      epTable,
      jobTable);
  }

  /* POST a job, then follow it. */
  async function startJob(ctx, name, kind, runs, buttons, lastId) {
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const job = await api('/networks/' + enc(name) + '/jobs', { method: 'POST', body: { kind } });
      followJob(ctx, job, runs, buttons, lastId);
    } catch (e) {
      buttons.forEach((b) => { b.disabled = false; });
      if (e instanceof NeedToken) { showLogin(e.message); return; }
      showError(e);
    }
  }

  /* A progress line for a running job, polled every second until it ends;
     then the page reloads its data. A job still starting (the server
     answered before the job recorded its row: id null) is looked for in
     the network's jobs, as the first of its kind newer than lastId. */
  function followJob(ctx, job, runs, buttons, lastId) {
    buttons.forEach((b) => { b.disabled = true; });
    const { row, show } = progressRow(job);
    runs.appendChild(row);
    async function poll() {
      if (ctx.stale()) return;
      let j;
      try {
        if (job.id) {
          j = await api('/jobs/' + job.id);
        } else {
          const list = await api(`/jobs?network=${enc(job.network)}&kind=${enc(job.kind)}&limit=1`);
          const found = (list.jobs || []).find((x) => x.id > (lastId || 0));
          j = found || job;
          if (found) job = found;
        }
      } catch (e) {
        if (ctx.stale()) return;
        if (e instanceof NeedToken) { showLogin(e.message); return; }
        showError(e);
        buttons.forEach((b) => { b.disabled = false; });
        return;
      }
      if (ctx.stale()) return;
      show(j);
      if (j.state === 'running' || j.state === 'starting') { ctx.after(1000, poll); return; }
      /* Kept on the page (the last three) once it reloads. */
      const done = (finishedRuns.get(j.network) || []).filter((x) => x.id !== j.id).concat([j]).slice(-3);
      finishedRuns.set(j.network, done);
      banner(j.state === 'done' ? 'ok' : 'error', `The ${j.kind} of ${j.network} (job #${j.id}) ended: ${j.state}.`, 'job');
      ctx.after(600, ctx.rerender);
    }
    ctx.after(job.state === 'running' || job.state === 'starting' ? 1000 : 0, poll);
  }

  /* The line that shows a job's progress: {row, show(job)}. */
  function progressRow(job) {
    const fill = h('div', { class: 'fill' });
    const label = h('span', { class: 'small' });
    const state = h('span', null);
    const idBox = h('span', null, job.id ? jobLink(job.id) : '');
    const row = h('div', { class: 'progress', 'data-job': job.id || '' },
      h('span', null, `${job.kind} `, idBox), state, h('div', { class: 'track' }, fill), label);
    function show(j) {
      state.replaceChildren(stateBadge(j.state));
      if (j.id && !row.dataset.job) { row.dataset.job = j.id; idBox.replaceChildren(jobLink(j.id)); }
      const p = j.progress || {};
      const going = j.state === 'running' || j.state === 'starting';
      const pct = going ? Math.max(0, Math.min(100, p.percent || 0)) : 100;
      fill.style.width = pct + '%';
      label.textContent = j.state === 'starting' ? 'resolving the targets…'
        : going ? `${p.done || 0} of ${p.total || '?'} (${pct.toFixed(1)}%)`
        : `${j.state} after ${duration(j.started_at, j.finished_at)}, ${plural(j.endpoints_scanned || 0, 'endpoint')} scanned`;
    }
    show(job);
    return { row, show };
  }

  async function pageChanges(ctx) {
    const eps = await api('/endpoints?changed=true');
    const endpoints = eps.endpoints || [];
    /* What each changed from: the probe before the last, from its history. */
    const detail = await mapLimit(endpoints.slice(0, 200), 6, (e) => api('/endpoints/' + e.id));
    const before = new Map();
    detail.forEach((d) => { if (d && d.history && d.history.length > 1) before.set(d.id, d.history[1]); });
    const prev = (e) => before.get(e.id) || null;

    return h('div', { class: 'page page-changes' },
      pageHead('Changes', { sub: 'Endpoints whose last probe differed from the one before: another status or another certificate.' }),
      tablePanel('Changed endpoints', {
        id: 'changes', label: 'changed endpoints', sort: ['last_seen', 'desc'], rows: endpoints,
        empty: 'No endpoint changed in its last probe.',
        columns: [
          { key: 'endpoint', label: 'Endpoint', value: (e) => hostPort(e.ip, e.port) + (e.sni ? ' ' + e.sni : ''), cell: endpointLink },
          { key: 'network', label: 'Network', cell: (e) => netLink(e.network) },
          { key: 'was_status', label: 'Was', value: (e) => (prev(e) ? prev(e).status : null), cell: (e) => (prev(e) ? statusBadge(prev(e).status) : h('span', { class: 'muted small' }, 'new')) },
          { key: 'status', label: 'Now', cell: (e) => statusBadge(e.status) },
          { key: 'was_cert', label: 'Certificate before', value: (e) => (prev(e) ? prev(e).cert_sha256 : null), cell: (e) => (prev(e) ? certLink(prev(e).cert_sha256) : null) },
          { key: 'cert', label: 'Certificate now', wrap: true, value: (e) => (e.cert && e.cert.subject_cn) || e.cert_sha256 || null,
            cell: (e) => (e.cert_sha256 ? h('span', null, certLink(e.cert_sha256, e.cert && e.cert.subject_cn), ' ', h('span', { class: 'hash muted' }, shortHash(e.cert_sha256))) : certLink(null)) },
          { key: 'expires', label: 'Expires', value: (e) => (e.cert && e.cert.not_after) || null, cell: (e) => (e.cert ? expiry(e.cert.not_after) : null) },
          { key: 'last_seen', label: 'Probed', desc: true, cell: (e) => when(e.last_seen) },
        ],
        rowAttrs: (e) => ({ 'data-id': e.id }),
      }));
  }

  const EXPIRING_CHOICES = [['', 'any expiry'], ['expired', 'expired'], ['7', 'within 7 days'], ['30', 'within 30 days'],
    ['60', 'within 60 days'], ['90', 'within 90 days'], ['365', 'within 365 days']];

  async function pageCertificates(ctx) {
    const expiring = ctx.query.get('expiring') || '';
    const network = ctx.query.get('network') || '';
    const params = new URLSearchParams();
    if (expiring === 'expired') params.set('expiring_days', '0');
    else if (/^\d+$/.test(expiring)) params.set('expiring_days', expiring);
    if (network) params.set('network', network);
    const qs = params.toString();
    const [certs, nets] = await Promise.all([api('/certificates' + (qs ? '?' + qs : '')), api('/networks')]);
    let list = certs.certificates || [];
    if (expiring === 'expired') list = list.filter((c) => daysLeft(c) < 0);

    const setQuery = (k, v) => {
      const q = new URLSearchParams(ctx.query);
      if (v) q.set(k, v); else q.delete(k);
      const s = q.toString();
      location.hash = '#/certificates' + (s ? '?' + s : '');
    };
    const expSel = h('select', { id: 'filter-expiring', 'aria-label': 'Expiry' },
      EXPIRING_CHOICES.map(([v, l]) => h('option', { value: v, selected: v === expiring }, l)));
    expSel.addEventListener('change', () => setQuery('expiring', expSel.value));
    const netSel = h('select', { id: 'filter-network', 'aria-label': 'Network' },
      h('option', { value: '' }, 'every network'),
      (nets.networks || []).map((n) => h('option', { value: n.name, selected: n.name === network }, n.name)));
    netSel.addEventListener('change', () => setQuery('network', netSel.value));

    return h('div', { class: 'page page-certificates' },
      pageHead('Certificates', { sub: 'The certificates endpoints present now, soonest expiry first.' }),
      tablePanel('Certificates', {
        id: 'certificates', label: 'certificates', sort: ['not_after', 'asc'], rows: list,
        empty: expiring || network ? 'No certificate matches these filters.' : 'No certificate yet: run a discovery.',
        extraText: (c) => [c.sha256, c.self_signed ? 'self-signed' : '', (c.sans || []).slice(0, 50).join(' '),
          (c.endpoints || []).map((e) => hostPort(e.ip, e.port)).join(' ')].join(' '),
        columns: [
          { key: 'subject_cn', label: 'Common name', value: (c) => c.subject_cn || c.subject,
            cell: (c) => h('span', null, h('span', { class: 'trunc' }, certLink(c.sha256, c.subject_cn || c.subject || shortHash(c.sha256))),
              c.self_signed ? [' ', h('span', { class: 'badge b-orange' }, 'self-signed')] : null) },
          { key: 'issuer', label: 'Issuer', sortValue: (c) => dnCN(c.issuer), cell: (c) => issuerCell(c.issuer) },
          { key: 'not_after', label: 'Expires', cell: (c) => expiry(c.not_after) },
          { key: 'days_left', label: 'Days left', num: true, value: (c) => (c.days_left !== undefined && c.days_left !== null ? c.days_left : Math.floor(daysLeft(c))) },
          { key: 'key', label: 'Key', value: (c) => `${c.key_type || ''} ${c.key_bits || ''}`.trim(), sortValue: (c) => `${c.key_type || ''} ${String(c.key_bits || 0).padStart(5, '0')}` },
          { key: 'sig_alg', label: 'Signature', cell: (c) => h('span', { class: 'small' }, c.sig_alg) },
          { key: 'endpoints', label: 'Endpoints', num: true, desc: true, value: (c) => (c.endpoints || []).length,
            cell: (c) => h('a', { href: certHref(c.sha256), title: (c.endpoints || []).map((e) => hostPort(e.ip, e.port)).join(' ') }, String((c.endpoints || []).length)) },
          { key: 'networks', label: 'Networks', wrap: true, value: (c) => [...new Set((c.endpoints || []).map((e) => e.network))].join(' '),
            cell: (c) => h('span', null, [...new Set((c.endpoints || []).map((e) => e.network))].map((n, i) => [i ? ', ' : '', netLink(n)])) },
        ],
        rowAttrs: (c) => ({ 'data-sha256': c.sha256 }),
      }, [expSel, netSel]));
  }

  async function pageCertificate(ctx, sha) {
    const c = await api('/certificates/' + sha.toLowerCase());
    const d = daysLeft(c);
    const sans = c.sans || [];
    const sanBox = h('div', { class: 'sans', id: 'sans' });
    const drawSans = (n) => {
      sanBox.replaceChildren(...sans.slice(0, n).map((s) => h('code', null, s)));
      if (sans.length > n) {
        sanBox.appendChild(h('button', { type: 'button', class: 'btn btn-small', onclick: () => drawSans(sans.length) }, `show all ${sans.length}`));
      }
    };
    drawSans(40);
    const badges = [
      d !== null && d < 0 ? h('span', { class: 'badge b-bad' }, 'expired') : d !== null && d <= 30 ? h('span', { class: 'badge b-warn' }, 'expiring') : h('span', { class: 'badge b-ok' }, 'valid'),
      c.self_signed ? h('span', { class: 'badge b-orange' }, 'self-signed') : null,
    ];
    return h('div', { class: 'page page-certificate', 'data-sha256': c.sha256 },
      pageHead(c.subject_cn || c.subject || shortHash(c.sha256), { crumbs: [h('a', { href: '#/certificates' }, 'Certificates'), shortHash(c.sha256)], badges }),
      h('div', { class: 'grid grid-2e' },
        panel('Certificate', facts([
          ['Subject', c.subject],
          ['Issuer', c.issuer],
          ['Serial', h('span', { class: 'mono' }, c.serial)],
          ['Valid from', when(c.not_before)],
          ['Valid until', expiry(c.not_after)],
          ['Key', `${c.key_type} ${c.key_bits} bits`],
          ['Signature', c.sig_alg],
          ['Self-signed', c.self_signed ? 'yes' : 'no'],
          ['SHA-256', h('span', { class: 'hash' }, c.sha256)],
        ]), { id: 'p-cert' }),
        panel('Subject alternative names', sans.length ? sanBox : h('span', { class: 'muted' }, 'none'), { count: h('span', { class: 'count' }, sans.length) })),
      tablePanel('Endpoints presenting it', {
        id: 'cert-endpoints', label: 'endpoints', sort: ['endpoint', 'asc'], rows: c.endpoints || [],
        empty: 'No endpoint presents this certificate any more.',
        columns: [
          { key: 'endpoint', label: 'Endpoint', value: (e) => hostPort(e.ip, e.port), cell: endpointLink },
          { key: 'network', label: 'Network', cell: (e) => netLink(e.network) },
          { key: 'ip', label: 'Address', cell: (e) => h('span', { class: 'mono' }, e.ip) },
          { key: 'port', label: 'Port', num: true },
          { key: 'sni', label: 'SNI' },
        ],
        rowAttrs: (e) => ({ 'data-id': e.id }),
      }));
  }

  async function pageEndpoint(ctx, id) {
    const e = await api('/endpoints/' + id);
    const history = e.history || [];
    /* The certificates of the history, for their names (a few at most). */
    const shas = [...new Set([e.cert_sha256, ...history.map((x) => x.cert_sha256)].filter(Boolean))].slice(0, 20);
    const [certs, finds] = await Promise.all([
      mapLimit(shas, 4, (s) => api('/certificates/' + s)),
      api('/findings?all=true&network=' + enc(e.network)),
    ]);
    const bySha = new Map(certs.map((c) => [c.sha256, c]));
    const cur = e.cert_sha256 ? bySha.get(e.cert_sha256) : null;
    const findings = (finds.findings || []).filter((f) => f.endpoint_id === e.id);
    const label = hostPort(e.ip, e.port);

    const monitorBtn = h('button', { type: 'button', class: 'btn', id: 'toggle-monitor',
      onclick: async () => {
        monitorBtn.disabled = true;
        try {
          await api('/endpoints/' + e.id, { method: 'PATCH', body: { monitored: !e.monitored } });
          ctx.rerender();
        } catch (err) {
          monitorBtn.disabled = false;
          if (err instanceof NeedToken) showLogin(err.message); else showError(err);
        }
      } }, e.monitored ? 'Stop monitoring' : 'Monitor');

    /* Mark the rows where the certificate or status differs from the probe before. */
    const changedAt = new Set();
    for (let i = 0; i + 1 < history.length; i++) {
      if (history[i].cert_sha256 !== history[i + 1].cert_sha256 || history[i].status !== history[i + 1].status) changedAt.add(history[i]);
    }
    return h('div', { class: 'page page-endpoint', 'data-id': e.id },
      pageHead(label, {
        crumbs: [h('a', { href: '#/' }, 'Overview'), netLink(e.network), 'Endpoints'],
        badges: [statusBadge(e.status), e.monitored ? h('span', { class: 'badge b-info' }, 'monitored') : null],
        sub: e.sni || null,
        actions: monitorBtn,
      }),
      h('div', { class: 'grid grid-2e' },
        panel('Endpoint', facts([
          ['Network', netLink(e.network)],
          ['Address', h('span', { class: 'mono' }, e.ip)],
          ['Port', String(e.port)],
          ['SNI', e.sni || h('span', { class: 'muted' }, 'none sent')],
          ['Status', h('span', null, statusBadge(e.status), ' ', h('span', { class: 'mono small' }, e.reason || ''))],
          ['First seen', when(e.first_seen)],
          ['Last seen', when(e.last_seen)],
          ['Monitored', e.monitored ? 'yes' : 'no'],
        ]), { id: 'p-endpoint' }),
        panel('Current certificate', e.cert_sha256 ? facts([
          ['Common name', certLink(e.cert_sha256, (cur && cur.subject_cn) || (e.cert && e.cert.subject_cn) || null)],
          ['Issuer', (cur && cur.issuer) || (e.cert && e.cert.issuer)],
          ['Expires', expiry((cur && cur.not_after) || (e.cert && e.cert.not_after))],
          cur ? ['Key', `${cur.key_type} ${cur.key_bits} bits, ${cur.sig_alg}`] : null,
          cur ? ['Names', (cur.sans || []).slice(0, 6).join(', ') + ((cur.sans || []).length > 6 ? ` … (${cur.sans.length})` : '')] : null,
          cur ? ['Also on', (cur.endpoints || []).filter((x) => x.id !== e.id).length
            ? h('span', null, (cur.endpoints || []).filter((x) => x.id !== e.id).slice(0, 5).map((x, i) => [i ? ', ' : '', endpointLink(x)]))
            : 'no other endpoint'] : null,
          ['SHA-256', h('span', { class: 'hash' }, e.cert_sha256)],
        ]) : h('div', { class: 'empty' }, 'The last probe got no certificate.'), { id: 'p-current-cert' })),
      tablePanel('Certificate history', {
        id: 'history', label: 'probes', sort: ['probed_at', 'desc'], rows: history,
        empty: 'No probe recorded.',
        columns: [
          { key: 'probed_at', label: 'Probed', desc: true, cell: (x) => when(x.probed_at) },
          { key: 'job_id', label: 'Job', num: true, cell: (x) => jobLink(x.job_id) },
          { key: 'status', label: 'Status', cell: (x) => statusBadge(x.status) },
          { key: 'reason', label: 'Reason', cell: (x) => h('span', { class: 'mono small' }, x.reason || '') },
          { key: 'cert', label: 'Certificate', wrap: true,
            value: (x) => (x.cert_sha256 ? ((bySha.get(x.cert_sha256) || {}).subject_cn || '') + ' ' + x.cert_sha256 : null),
            cell: (x) => (x.cert_sha256 ? h('span', null, certLink(x.cert_sha256, (bySha.get(x.cert_sha256) || {}).subject_cn || null), ' ',
              h('span', { class: 'hash muted' }, shortHash(x.cert_sha256))) : h('span', { class: 'muted' }, 'none')) },
          { key: 'expires', label: 'Expires', value: (x) => (bySha.get(x.cert_sha256) || {}).not_after || null,
            cell: (x) => (bySha.get(x.cert_sha256) ? expiry(bySha.get(x.cert_sha256).not_after) : null) },
          { key: 'change', label: 'Change', value: (x) => (changedAt.has(x) ? 'changed' : ''),
            cell: (x) => (changedAt.has(x) ? h('span', { class: 'badge b-warn' }, 'changed') : '') },
        ],
        rowAttrs: (x) => ({ class: changedAt.has(x) ? 'changed-row' : null }),
      }),
      findingsTable(findings, { id: 'endpoint-findings', title: 'Findings', hideEndpoint: true }));
  }

  function findingsTable(findings, opts) {
    const cols = [
      { key: 'severity', label: 'Severity', value: (f) => f.severity, sortValue: (f) => sevRank(f.severity), cell: (f) => sevBadge(f.severity) },
      { key: 'title', label: 'Finding', value: (f) => `${f.title} ${f.check} ${f.detail || ''}`, sortValue: (f) => f.title,
        cell: (f) => h('div', null, h('div', null, f.title, ' ', h('span', { class: 'mono small muted' }, f.check)),
          f.detail ? h('div', { class: 'muted small detail', title: f.detail }, f.detail) : null) },
    ];
    if (!opts.hideEndpoint) {
      cols.push(
        { key: 'endpoint', label: 'Endpoint', value: (f) => `${hostPort(f.ip, f.port)} ${f.sni || ''} ${f.network}`,
          cell: (f) => h('div', null, endpointLink({ id: f.endpoint_id, ip: f.ip, port: f.port, sni: f.sni }),
            h('div', { class: 'small' }, netLink(f.network))) });
    }
    cols.push(
      { key: 'cve', label: 'CVE', cell: (f) => (f.cve ? h('span', { class: 'mono small' }, f.cve) : '') },
      { key: 'first_seen', label: 'First seen', desc: true, cell: (f) => when(f.first_seen, { block: true }) },
      { key: 'last_seen', label: 'Last seen', desc: true, cell: (f) => when(f.last_seen, { block: true }) },
      { key: 'fixed_at', label: 'Fixed', desc: true, cell: (f) => (f.fixed_at ? when(f.fixed_at, { block: true }) : h('span', { class: 'badge b-grey' }, 'open')) });
    return tablePanel(opts.title, {
      id: opts.id, label: 'findings', sort: ['severity', 'asc'], rows: findings, columns: cols,
      empty: opts.empty || 'No finding.',
      rowAttrs: (f) => ({ class: f.fixed_at ? 'fixed' : null, 'data-severity': f.severity }),
    }, opts.tools);
  }

  async function pageFindings(ctx) {
    const sevFilter = ctx.query.get('severity') || '';
    const network = ctx.query.get('network') || '';
    const all = ctx.query.get('all') === 'true';
    const params = new URLSearchParams();
    if (network) params.set('network', network);
    if (all) params.set('all', 'true');
    const qs = params.toString();
    const [finds, nets] = await Promise.all([api('/findings' + (qs ? '?' + qs : '')), api('/networks')]);
    const everything = finds.findings || [];
    const bySev = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
    for (const f of everything) if (f.severity in bySev && !f.fixed_at) bySev[f.severity]++;
    const list = sevFilter ? everything.filter((f) => f.severity === sevFilter) : everything;

    const setQuery = (k, v) => {
      const q = new URLSearchParams(ctx.query);
      if (v) q.set(k, v); else q.delete(k);
      const s = q.toString();
      location.hash = '#/findings' + (s ? '?' + s : '');
    };
    const netSel = h('select', { id: 'filter-network', 'aria-label': 'Network' },
      h('option', { value: '' }, 'every network'),
      (nets.networks || []).map((n) => h('option', { value: n.name, selected: n.name === network }, n.name)));
    netSel.addEventListener('change', () => setQuery('network', netSel.value));
    const fixed = h('input', { type: 'checkbox', id: 'filter-fixed', checked: all });
    fixed.addEventListener('change', () => setQuery('all', fixed.checked ? 'true' : ''));

    const picks = h('div', { class: 'counts sev-pick', id: 'severity-pick' },
      h('a', { href: '#', class: 'badge ' + (sevFilter ? 'b-grey off' : 'b-info'), onclick: (ev) => { ev.preventDefault(); setQuery('severity', ''); } }, 'all', h('span', { class: 'n' }, everything.filter((f) => !f.fixed_at).length)),
      SEVERITIES.map((s) => {
        const b = sevBadge(s, bySev[s]);
        if (sevFilter && sevFilter !== s) b.classList.add('off');
        b.addEventListener('click', () => setQuery('severity', sevFilter === s ? '' : s));
        return b;
      }));

    return h('div', { class: 'page page-findings' },
      pageHead('Findings', { sub: all ? 'Open and fixed findings of the vulnerability scans, most severe first.' : 'Open findings of the vulnerability scans, most severe first.' }),
      h('div', { class: 'panel' }, h('div', { class: 'panel-body filters' }, picks,
        h('span', { class: 'muted' }, '·'), netSel, h('label', { class: 'inline', for: 'filter-fixed' }, fixed, 'include fixed'))),
      findingsTable(list, { id: 'findings', title: 'Findings', empty: everything.length ? 'No finding of this severity.' : 'No finding: run a vulnscan of a network.' }));
  }

  /* The outbox: the notifications (emails, syslog, tickets, webhooks) not
     delivered yet, or all of them. A failed one waits for `certsweep outbox
     retry ID`; a pending one for its next attempt. */
  async function pageOutbox(ctx) {
    const all = ctx.query.get('all') === 'true';
    const box = await api('/outbox' + (all ? '?all=true' : ''));
    const messages = box.messages || [];
    const sent = h('input', { type: 'checkbox', id: 'filter-sent', checked: all });
    sent.addEventListener('change', () => { location.hash = '#/outbox' + (sent.checked ? '?all=true' : ''); });
    const muted = (text) => h('span', { class: 'muted' }, text);
    return h('div', { class: 'page page-outbox' },
      pageHead('Outbox', { sub: all ? 'Every notification, oldest first.'
        : 'Notifications not delivered yet, oldest first. A failed one waits for certsweep outbox retry ID.' }),
      h('div', { class: 'panel' }, h('div', { class: 'panel-body filters' },
        h('label', { class: 'inline', for: 'filter-sent' }, sent, 'include sent'))),
      tablePanel('Messages', {
        id: 'outbox', label: 'messages', sort: ['id', 'asc'], rows: messages,
        empty: all ? 'No notification yet.' : 'Nothing waits: every notification was delivered.',
        columns: [
          { key: 'id', label: '#', num: true },
          { key: 'state', label: 'State', cell: (m) => stateBadge(m.state) },
          { key: 'channel', label: 'Channel', cell: (m) => h('span', { class: 'mono' }, m.channel) },
          { key: 'kind', label: 'Kind' },
          { key: 'summary', label: 'Summary', wrap: true },
          { key: 'attempts', label: 'Attempts', num: true },
          { key: 'next', label: 'Next attempt', value: (m) => (m.state === 'pending' ? m.next_attempt_at : null),
            cell: (m) => (m.state === 'pending' ? when(m.next_attempt_at) : muted('—')) },
          { key: 'last_error', label: 'Last error', wrap: true,
            cell: (m) => (m.last_error ? h('span', { class: 'detail', title: m.last_error }, m.last_error) : muted('—')) },
          { key: 'job', label: 'Job', num: true, value: (m) => m.job_id, cell: (m) => jobLink(m.job_id) },
        ],
        rowAttrs: (m) => ({ 'data-id': m.id, 'data-state': m.state }),
      }));
  }

  async function pageJob(ctx, id) {
    const j = await api('/jobs/' + id);
    /* Only a finished job has a report; asking for another's would be a
       404 for nothing. */
    let report = null;
    if (j.state === 'done') report = await api('/jobs/' + id + '/report?format=text', { text: true });
    else if (j.state === 'running') ctx.refreshIn(2000);
    const p = j.progress || {};
    return h('div', { class: 'page page-job', 'data-id': j.id },
      pageHead(`${j.kind} #${j.id}`, {
        crumbs: [h('a', { href: '#/' }, 'Overview'), netLink(j.network), 'Jobs'],
        badges: stateBadge(j.state),
        sub: j.state === 'running' ? `${p.done || 0} of ${p.total || '?'} (${Math.round(p.percent || 0)}%)` : null,
      }),
      h('div', { class: 'grid grid-2e' },
        panel('Job', facts([
          ['Network', netLink(j.network)],
          ['Kind', j.kind],
          ['State', stateBadge(j.state)],
          ['Started', when(j.started_at)],
          ['Finished', when(j.finished_at, { none: 'still running' })],
          ['Took', duration(j.started_at, j.finished_at)],
          ['Endpoints scanned', String(j.endpoints_scanned || 0)],
        ])),
        panel('Results', countBadges(j.counts))),
      report !== null ? panel('Report', h('pre', { class: 'report', id: 'report' }, report), { flush: true,
        tools: h('span', { class: 'small muted' }, 'as ', h('code', null, `certsweep report ${j.id}`), ' prints it') })
        : panel('Report', h('div', { class: 'empty' }, j.state === 'running' ? 'The report is written when the job ends.' : `No report: the job is ${j.state}.`)));
  }

  /* ---- the token form ------------------------------------------------------ */

  function showLogin(message) {
    clearBanners();
    if (message) banner('error', message, 'auth');
    $('#signout').hidden = true;
    const input = h('input', { type: 'password', id: 'token-input', placeholder: 'API token', autocomplete: 'off', 'aria-label': 'API token', required: true });
    const form = h('form', { id: 'token-form' }, input, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Use token'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const v = input.value.trim();
      if (!v) return;
      localStorage.setItem(TOKEN_KEY, v);
      clearBanners('auth');
      render();
    });
    $('#main').replaceChildren(h('div', { class: 'login' }, panel('API token', [
      h('p', null, 'The dashboard reads the inventory through the API of certsweep serve, which needs a token. ',
        'Create one on the server with ', h('code', null, 'certsweep token create dashboard'),
        ' and paste it here. It is kept in this browser only.'),
      form,
    ])));
    document.body.dataset.ready = '1';
    input.focus();
  }

  /* ---- the router ----------------------------------------------------------- */

  const ROUTES = [
    [/^\/$/, pageOverview, 'overview'],
    [/^\/networks\/([^/?]+)$/, pageNetwork, 'overview'],
    [/^\/changes$/, pageChanges, 'changes'],
    [/^\/certificates$/, pageCertificates, 'certificates'],
    [/^\/certificates\/([0-9a-fA-F]{64})$/, pageCertificate, 'certificates'],
    [/^\/endpoints\/(\d+)$/, pageEndpoint, 'overview'],
    [/^\/findings$/, pageFindings, 'findings'],
    [/^\/jobs\/(\d+)$/, pageJob, 'overview'],
    [/^\/outbox$/, pageOutbox, 'outbox'],
  ];

  function parseHash() {
    const raw = location.hash.replace(/^#/, '') || '/';
    const i = raw.indexOf('?');
    return { path: i < 0 ? raw : raw.slice(0, i), query: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
  }

  function clearTimers() {
    for (const t of timers) clearTimeout(t);
    timers = [];
  }

  /* Draws the route of the address bar. quiet: a refresh of the same page,
     which keeps what is on screen until the new data is in. */
  async function render(quiet) {
    const seq = ++renderSeq;
    clearTimers();
    document.body.dataset.ready = '0';
    const { path, query } = parseHash();
    const key = path + '?' + query.toString();
    if (!quiet || key !== routeKey) { clearBanners('page'); clearBanners('job'); }
    routeKey = key;
    let match = null;
    for (const [re, fn, nav] of ROUTES) {
      const m = path.match(re);
      if (m) { match = { fn, nav, args: m.slice(1).map(decodeURIComponent) }; break; }
    }
    for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', !!match && a.dataset.nav === match.nav);
    const main = $('#main');
    if (!token()) { showLogin(''); return; }
    $('#signout').hidden = false;
    if (!match) {
      main.replaceChildren(h('div', { class: 'empty' }, 'No such page. ', h('a', { href: '#/' }, 'Back to the overview')));
      document.body.dataset.ready = '1';
      return;
    }
    if (!quiet) main.replaceChildren(h('div', { class: 'loading' }, 'Loading…'));
    let refresh = REFRESH_MS;
    const ctx = {
      query,
      stale: () => seq !== renderSeq,
      rerender: () => { if (seq === renderSeq) render(true); },
      after: (ms, fn) => { if (seq === renderSeq) timers.push(setTimeout(fn, ms)); },
      refreshIn: (ms) => { refresh = Math.min(refresh, ms); },
    };
    try {
      const node = await match.fn(ctx, ...match.args);
      if (ctx.stale()) return;
      /* A refresh keeps the scroll position and the focus of the filter box. */
      const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.table : null;
      const scroll = window.scrollY;
      main.replaceChildren(node);
      if (quiet) {
        window.scrollTo(0, scroll);
        if (focused) { const s = main.querySelector(`input.search[data-table="${focused}"]`); if (s) { s.focus(); s.setSelectionRange(s.value.length, s.value.length); } }
      }
      $('#updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
      ctx.after(refresh, autoRefresh);
    } catch (e) {
      if (ctx.stale()) return;
      if (e instanceof NeedToken) { showLogin(e.message); return; }
      showError(e);
      if (!quiet) main.replaceChildren(h('div', { class: 'empty', id: 'load-failed' }, 'This page could not be loaded: see the message above. ', h('a', { href: '#/' }, 'Overview')));
      ctx.after(REFRESH_MS, autoRefresh);
    }
    document.body.dataset.ready = '1';
  }

  /* The periodic reload: skipped while the tab is hidden or someone types. */
  function autoRefresh() {
    const a = document.activeElement;
    if (document.hidden || (a && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName) && a.type !== 'search')) {
      timers.push(setTimeout(autoRefresh, 5000));
      return;
    }
    render(true);
  }

  /* ?token=... is taken once, kept, and removed from the address bar. */
  function takeTokenFromUrl() {
    const u = new URL(location.href);
    if (!u.searchParams.has('token')) return;
    const t = u.searchParams.get('token').trim();
    if (t) localStorage.setItem(TOKEN_KEY, t);
    u.searchParams.delete('token');
    history.replaceState(null, '', u.pathname + (u.searchParams.toString() ? '?' + u.searchParams : '') + u.hash);
  }

  function start() {
    takeTokenFromUrl();
    $('#refresh').addEventListener('click', () => render(true));
    $('#signout').addEventListener('click', () => {
      localStorage.removeItem(TOKEN_KEY);
      showLogin('');
      banner('info', 'The API token was removed from this browser.', 'auth');
    });
    window.addEventListener('hashchange', () => render(false));
    document.addEventListener('visibilitychange', () => { if (!document.hidden && token()) render(true); });
    render(false);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
