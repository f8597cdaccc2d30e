/// The dashboard's HTML: four views (overview, sessions, live, daemon) that `dashboard.js` fills.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>cco</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard.css">
<script src="/dashboard.js" defer></script>
</head>
<body>
<header>
  <h1>cco</h1>
  <nav aria-label="Views">
    <a id="tab-overview" href="#overview">Overview</a>
    <a id="tab-sessions" href="#sessions">Sessions</a>
    <a id="tab-live" href="#live">Live <span id="live-count" class="badge" hidden></span></a>
    <a id="tab-daemon" href="#daemon">Daemon</a>
  </nav>
  <span id="connection" class="chip" data-state="connecting">connecting</span>
</header>
<p id="problem" class="problem" role="alert" hidden></p>
<main>
  <section id="view-overview" aria-labelledby="tab-overview">
    <div class="cards">
      <div class="card"><h2>Today</h2><p class="figure" data-figure="cost-today">–</p><p class="sub" data-figure="calls-today"></p></div>
      <div class="card"><h2>Last 7 days</h2><p class="figure" data-figure="cost-week">–</p><p class="sub" data-figure="calls-week"></p></div>
      <div class="card"><h2>Last 30 days</h2><p class="figure" data-figure="cost-month">–</p><p class="sub" data-figure="calls-month"></p></div>
      <div class="card"><h2>Response cache saved</h2><p class="figure" data-figure="saved-month">–</p><p class="sub" data-figure="hits-month"></p></div>
      <div class="card"><h2>Prompt-cache reads</h2><p class="figure" data-figure="cache-read-share">–</p><p class="sub" data-figure="cache-read-tokens"></p></div>
    </div>
    <p id="unpriced" class="note" hidden></p>
    <h2>Cost per day by model, last 30 days</h2>
    <div id="chart" class="chart"></div>
    <ul id="legend" class="legend"></ul>
    <div class="scroll"><table id="models"><thead><tr><th class="text">Model</th><th>Calls</th><th>Input</th><th>Output</th><th>Cache read</th><th>Cache write</th><th>Cost</th></tr></thead><tbody></tbody></table></div>
    <h2>Budgets</h2>
    <div id="budgets"></div>
  </section>
  <section id="view-sessions" aria-labelledby="tab-sessions" hidden>
    <h2>Claude Code sessions, last 30 days</h2>
    <div class="scroll"><table id="sessions"><thead><tr><th class="text">Session</th><th class="text">Project</th><th>First call</th><th>Last call</th><th class="text">Models</th><th>Calls</th><th>Cost</th></tr></thead><tbody></tbody></table></div>
    <div id="session-detail" hidden>
      <h2 id="session-title"></h2>
      <p id="session-summary" class="sub"></p>
      <div class="scroll"><table id="session-calls" class="calls"><thead><tr><th>Time</th><th class="text">Model</th><th class="text">Agent</th><th>Input</th><th>Output</th><th>Cache read</th><th>Cache write</th><th>Cost</th><th>Latency</th><th>Status</th></tr></thead><tbody></tbody></table></div>
    </div>
  </section>
  <section id="view-live" aria-labelledby="tab-live" hidden>
    <h2>Calls as they finish <span id="live-state" class="sub"></span></h2>
    <div class="scroll"><table id="live" class="calls"><thead><tr><th>Time</th><th class="text">Model</th><th class="text">Session</th><th class="text">Agent</th><th>Input</th><th>Output</th><th>Cache read</th><th>Cache write</th><th>Cost</th><th>Latency</th><th>Status</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section id="view-daemon" aria-labelledby="tab-daemon" hidden>
    <h2>Daemon</h2>
    <dl id="daemon-facts" class="facts"></dl>
    <h2>Last log lines <span id="log-source" class="sub"></span></h2>
    <pre id="daemon-log" class="log"></pre>
  </section>
</main>
<footer>Figures from this daemon's <code>/api/stats</code>: the same as <code>cco stats</code>. Times are local.</footer>
</body>
</html>
"""#
}
