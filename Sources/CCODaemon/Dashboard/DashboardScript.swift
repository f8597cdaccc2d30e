/// The dashboard's script: reads the daemon's API and draws the views; charts are SVG built here.
/// Every text from the API (models, projects, sessions, log lines) goes in as text, never as markup.
enum DashboardScript {
    static let javaScript = #"""
'use strict';
(() => {
  const $ = (selector) => document.querySelector(selector);
  const SVG = 'http://www.w3.org/2000/svg';

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null) continue;
      // Through the CSSOM: the Content-Security-Policy refuses style attributes.
      if (name === 'style') node.style.cssText = value; else node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    for (const child of children) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  // The same text as `cco stats`: four decimals.
  function usd(value) {
    const tenThousandths = Math.round(value * 10000);
    return '$' + Math.trunc(tenThousandths / 10000) + '.' + String(tenThousandths % 10000).padStart(4, '0');
  }
  const count = (n) => Number(n).toLocaleString('en-US');
  const percent = (x) => (x * 100).toFixed(1) + '%';
  const pad = (n) => String(n).padStart(2, '0');
  const day = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const minute = (ms) => { const d = new Date(ms); return `${day(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}`; };
  const second = (ms) => { const d = new Date(ms); return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`; };
  const dayAndSecond = (ms) => `${day(new Date(ms))} ${second(ms)}`;
  const short = (id) => (id && id.length > 13 ? id.slice(0, 8) + '…' : id || '');
  const latency = (ms) => (ms >= 1000 ? (ms / 1000).toFixed(1) + ' s' : Math.round(ms) + ' ms');

  function showProblem(text) {
    const problem = $('#problem');
    problem.textContent = text || '';
    problem.hidden = !text;
  }

  async function api(path) {
    let response;
    try {
      response = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    } catch (error) {
      setConnection('disconnected');
      throw new Error('cannot reach the daemon: is it running? (`cco daemon status`)');
    }
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try { message = (await response.json()).error.message; } catch (ignored) { /* not JSON */ }
      throw new Error(`${path}: ${message}`);
    }
    return response.json();
  }

  function setConnection(state) {
    const chip = $('#connection');
    chip.dataset.state = state;
    chip.textContent = state;
  }

  // MARK: views

  const views = ['overview', 'sessions', 'live', 'daemon'];
  let current = null;
  let sessionOpen = null;

  function route() {
    const hash = decodeURIComponent(location.hash.slice(1));
    const [view, ...rest] = hash.split('/');
    const name = views.includes(view) ? view : 'overview';
    sessionOpen = name === 'sessions' && rest.length ? rest.join('/') : null;
    current = name;
    for (const v of views) {
      $('#view-' + v).hidden = v !== name;
      const tab = $('#tab-' + v);
      if (v === name) tab.setAttribute('aria-current', 'page'); else tab.removeAttribute('aria-current');
    }
    if (name === 'live') { unseen = 0; showUnseen(); }
    refresh();
  }

  async function refresh() {
    try {
      if (current === 'overview') await loadOverview();
      else if (current === 'sessions') await loadSessions();
      else if (current === 'daemon') await loadDaemon();
      showProblem(null);
    } catch (error) {
      showProblem(error.message);
    }
  }

  let refreshTimer = null;
  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => { refreshTimer = null; if (current !== 'live') refresh(); }, 500);
  }

  // MARK: overview

  function figure(name, text, value) {
    const node = document.querySelector(`[data-figure="${name}"]`);
    node.textContent = text;
    if (value !== undefined) node.dataset.value = String(value);
  }

  async function loadOverview() {
    const [today, week, month, budget] = await Promise.all([
      api('/api/stats?range=today'), api('/api/stats?range=week'), api('/api/stats?range=month&group_by=model'), api('/api/budget'),
    ]);
    for (const [name, report] of [['today', today], ['week', week], ['month', month]]) {
      figure('cost-' + name, usd(report.totals.cost_usd), report.totals.cost_usd);
      figure('calls-' + name, `${count(report.totals.requests)} calls`, report.totals.requests);
    }
    const t = month.totals;
    figure('saved-month', usd(t.saved_usd), t.saved_usd);
    figure('hits-month', `${count(t.cache_hits)} cache hits`, t.cache_hits);
    const input = t.input_tokens + t.cache_read_tokens + t.cache_write_tokens + t.cache_write_1h_tokens;
    const share = input > 0 ? t.cache_read_tokens / input : null;
    figure('cache-read-share', share === null ? '–' : percent(share), share === null ? '' : share);
    figure('cache-read-tokens', `${count(t.cache_read_tokens)} of ${count(input)} input tokens`, t.cache_read_tokens);
    const unpriced = $('#unpriced');
    unpriced.hidden = t.unpriced === 0;
    unpriced.textContent = t.unpriced ? `${count(t.unpriced)} calls were of models without a price: their cost is not counted (cco pricing update).` : '';

    // A group's totals are its own fields, beside its key.
    const models = month.groups.filter((g) => g.requests > 0).sort((a, b) => b.cost_usd - a.cost_usd);
    const tbody = $('#models tbody');
    tbody.replaceChildren(...models.map((g) => el('tr', { 'data-model': g.key },
      el('td', {}, g.key), el('td', {}, count(g.requests)), el('td', {}, count(g.input_tokens)),
      el('td', {}, count(g.output_tokens)), el('td', {}, count(g.cache_read_tokens)),
      el('td', {}, count(g.cache_write_tokens + g.cache_write_1h_tokens)),
      el('td', { 'data-value': g.cost_usd }, usd(g.cost_usd)))));
    const charted = models.filter((g) => g.cost_usd > 0);
    const perDay = await Promise.all(charted.map((g) =>
      api('/api/stats?range=month&group_by=day&model=' + encodeURIComponent(g.key))));
    drawChart(charted.map((g, index) => ({ model: g.key, days: perDay[index].groups })), month.since_ms);
    drawBudgets(budget);
  }

  function drawChart(series, sinceMs) {
    const chart = $('#chart');
    const legend = $('#legend');
    const days = [];
    const start = new Date(sinceMs);
    start.setHours(12, 0, 0, 0);
    const today = day(new Date());
    for (let d = new Date(start); day(d) <= today; d.setDate(d.getDate() + 1)) days.push(day(d));
    const cost = series.map((s) => new Map(s.days.map((g) => [g.key, g.cost_usd])));
    const totals = days.map((k) => cost.reduce((sum, m) => sum + (m.get(k) || 0), 0));
    const top = Math.max(...totals, 0);
    if (top <= 0) {
      chart.replaceChildren(el('p', { class: 'empty' }, 'No priced calls in the last 30 days.'));
      legend.replaceChildren();
      return;
    }
    const W = 960, H = 260, left = 64, right = 8, topPad = 10, bottom = 28;
    const step = niceStep(top / 4);
    const ceiling = Math.ceil(top / step) * step;
    const y = (v) => H - bottom - (v / ceiling) * (H - bottom - topPad);
    const slot = (W - left - right) / days.length;
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Cost per day by model' });
    for (let v = 0; v <= ceiling + step / 2; v += step) {
      root.append(svg('line', { class: 'grid', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
      root.append(svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, '$' + v.toFixed(step < 0.01 ? 3 : step < 1 ? 2 : 0)));
    }
    days.forEach((key, i) => {
      let base = 0;
      const x = left + i * slot + slot * 0.15;
      series.forEach((s, index) => {
        const value = cost[index].get(key) || 0;
        if (value <= 0) return;
        const rect = svg('rect', { x, width: Math.max(slot * 0.7, 1), y: y(base + value), height: Math.max(y(base) - y(base + value), 0.5),
          fill: `var(--series-${index % 8})`, 'data-day': key, 'data-model': s.model, 'data-value': value });
        rect.append(svg('title', {}, `${key} · ${s.model} · ${usd(value)}`));
        root.append(rect);
        base += value;
      });
      if (i % Math.ceil(days.length / 10) === 0 || i === days.length - 1) {
        root.append(svg('text', { x: left + i * slot + slot / 2, y: H - 8, 'text-anchor': 'middle' }, key.slice(5)));
      }
    });
    chart.replaceChildren(root);
    legend.replaceChildren(...series.map((s, index) =>
      el('li', {}, el('i', { style: `background: var(--series-${index % 8})` }), s.model)));
  }

  function niceStep(raw) {
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * power) return m * power;
    return 10 * power;
  }

  function drawBudgets(report) {
    const box = $('#budgets');
    if (!report.budgets.length) {
      box.replaceChildren(el('p', { class: 'empty' }, 'No budgets set. `cco budget set daily 20` sets one.'));
      return;
    }
    box.replaceChildren(...report.budgets.map((b) => {
      const used = b.limit_usd > 0 ? b.spent_usd / b.limit_usd : 1;
      const level = used >= 1 ? 'spent' : used >= report.warn_at ? 'warn' : 'ok';
      const name = b.project ? `${b.period} · project ${b.project}` : b.session ? `${b.period} · session ${short(b.session)}` : b.period;
      const bar = el('div', { class: 'bar' }, el('span', { style: `width: ${Math.min(used, 1) * 100}%` }));
      return el('div', { class: 'budget', 'data-budget': b.budget, 'data-level': level },
        el('strong', {}, name), bar,
        el('span', { class: 'sub' }, `${usd(b.spent_usd)} of ${usd(b.limit_usd)} (${percent(used)})` + (b.resets_at ? ` · resets ${b.resets_at}` : '')));
    }));
  }

  // MARK: sessions

  async function loadSessions() {
    const list = await api('/api/sessions?range=month&limit=200');
    const tbody = $('#sessions tbody');
    if (!list.sessions.length) {
      tbody.replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'text' }, 'No Claude Code sessions in the last 30 days.')));
    } else {
      tbody.replaceChildren(...list.sessions.map((s) => {
        const open = el('button', { class: 'link', type: 'button', title: s.session }, short(s.session));
        open.addEventListener('click', () => { location.hash = 'sessions/' + encodeURIComponent(s.session); });
        return el('tr', { 'data-session': s.session, class: s.session === sessionOpen ? 'selected' : null },
          el('td', {}, open), el('td', { class: 'text' }, s.project || '–'), el('td', {}, minute(s.first_ms)), el('td', {}, minute(s.last_ms)),
          el('td', { class: 'text' }, s.models.join(', ')), el('td', {}, count(s.calls)),
          el('td', { 'data-value': s.cost_usd }, usd(s.cost_usd) + (s.unpriced ? ` (+${s.unpriced} unpriced)` : '')));
      }));
    }
    const detail = $('#session-detail');
    detail.hidden = !sessionOpen;
    if (!sessionOpen) return;
    const calls = await api('/api/calls?range=all&limit=1000&session=' + encodeURIComponent(sessionOpen));
    const cost = calls.calls.reduce((sum, c) => sum + c.cost_usd, 0);
    $('#session-title').textContent = 'Session ' + sessionOpen;
    $('#session-summary').textContent = `${count(calls.calls.length)} calls · ${usd(cost)}`;
    $('#session-calls tbody').replaceChildren(...calls.calls.map((c) => callRow(c, false, dayAndSecond)));
  }

  function callRow(c, withSession, time = second) {
    const status = el('td', { class: c.status >= 400 ? 'bad' : null }, String(c.status));
    if (c.incomplete) status.append(el('span', { class: 'flag', title: 'the stream ended before message_stop' }, 'incomplete'));
    if (c.cache_hit) status.append(el('span', { class: 'flag', title: 'answered from the response cache' }, 'cached'));
    const cells = [el('td', { title: dayAndSecond(c.ts_ms) }, time(c.ts_ms)), el('td', { class: 'text' }, c.model || c.route)];
    if (withSession) cells.push(el('td', { class: 'text', title: c.session || '' }, short(c.session) || '–'));
    cells.push(el('td', { class: 'text' }, c.agent ? short(c.agent) : 'main'),
      el('td', {}, count(c.input_tokens)), el('td', {}, count(c.output_tokens)), el('td', {}, count(c.cache_read_tokens)),
      el('td', {}, count(c.cache_write_tokens + c.cache_write_1h_tokens)),
      el('td', { 'data-value': c.cost_usd }, c.priced ? usd(c.cost_usd) : 'unpriced'), el('td', {}, latency(c.latency_ms)), status);
    return el('tr', { 'data-call-id': c.id }, ...cells);
  }

  // MARK: live

  let lastID = 0;
  let unseen = 0;
  let events = null;
  const liveLimit = 200;

  function showUnseen() {
    const badge = $('#live-count');
    badge.hidden = unseen === 0;
    badge.textContent = String(unseen);
  }

  function addLive(call, fresh) {
    const tbody = $('#live tbody');
    const row = callRow(call, true);
    if (fresh) row.className = 'fresh';
    tbody.prepend(row);
    while (tbody.children.length > liveLimit) tbody.lastElementChild.remove();
  }

  async function startLive() {
    try {
      const recent = await api('/api/calls?range=today&limit=50');
      for (const call of recent.calls.slice().reverse()) addLive(call, false);
      lastID = recent.calls.reduce((max, c) => Math.max(max, c.id), 0);
    } catch (error) {
      showProblem(error.message);
    }
    connect();
  }

  // The stream ends when the daemon restarts or stops: the browser reconnects by itself, sending
  // the last id it saw; if it gives up (an answer that is not a stream), this tries again.
  function connect() {
    events = new EventSource('/api/events?after=' + lastID);
    events.addEventListener('open', () => { setConnection('connected'); $('#live-state').textContent = '· live'; });
    events.addEventListener('call', (event) => {
      const call = JSON.parse(event.data);
      if (call.id <= lastID) return;
      lastID = call.id;
      addLive(call, true);
      if (current !== 'live') { unseen += 1; showUnseen(); }
      refreshSoon();
    });
    events.addEventListener('error', () => {
      setConnection('disconnected');
      $('#live-state').textContent = '· reconnecting';
      if (events.readyState === EventSource.CLOSED) {
        events = null;
        setTimeout(connect, 2000);
      }
    });
  }

  // MARK: daemon

  async function loadDaemon() {
    const info = await api('/api/daemon');
    const uptime = (s) => {
      const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
      return (d ? `${d}d ` : '') + (d || h ? `${h}h ` : '') + `${m}m ${Math.floor(s % 60)}s`;
    };
    const facts = [
      ['Mode', info.mode], ['Address', info.address], ['Pid', String(info.pid)], ['Version', info.version],
      ['Started', `${minute(Date.parse(info.started_at))} (up ${uptime(info.uptime_s)})`], ['Phase', info.phase],
      ['Health', info.health.status + (info.health.database === 'ok' ? '' : ` (database: ${info.health.database})`)],
      ['State directory', info.state_directory],
    ];
    if (info.replaced_pid) facts.push(['Replaced', `pid ${info.replaced_pid} (restart without downtime)`]);
    if (info.unit) {
      facts.push(['Unit', `${info.unit.name}: ${info.unit.active_state} (${info.unit.sub_state}), ${info.unit.unit_file_state || 'no unit file state'}`]);
      facts.push(['Restarts', `${info.unit.restarts} by systemd`]);
      if (info.unit.status_text) facts.push(['Status', info.unit.status_text]);
    } else if (info.unit_problem) {
      facts.push(['Unit', info.unit_problem]);
    }
    $('#daemon-facts').replaceChildren(...facts.flatMap(([name, value]) =>
      [el('dt', {}, name), el('dd', { 'data-fact': name.toLowerCase() }, value)]));
    $('#log-source').textContent = '· ' + info.log_source;
    $('#daemon-log').textContent = info.log.length ? info.log.join('\n') : '(no lines yet)';
  }

  setInterval(() => { if (current === 'daemon') refresh(); }, 5000);
  setInterval(() => { if (current === 'overview' || current === 'sessions') refresh(); }, 60000);
  window.addEventListener('hashchange', route);
  route();
  startLive();
})();
"""#
}
