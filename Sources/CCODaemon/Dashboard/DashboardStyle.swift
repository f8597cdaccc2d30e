/// The dashboard's CSS: light and dark schemes from `prefers-color-scheme`, one column on a narrow window.
enum DashboardStyle {
    static let css = #"""
:root {
  --bg: #f7f7f5; --panel: #ffffff; --text: #1d1d1f; --muted: #6b6b70; --line: #e2e2e0; --accent: #b4532a;
  --ok: #2e7d32; --warn: #b26a00; --bad: #c62828; --fresh: #fff3d6;
  --series-0: #b4532a; --series-1: #2f6db5; --series-2: #3b8f5a; --series-3: #8a4fb0; --series-4: #c08a1e;
  --series-5: #2a9a9a; --series-6: #b03a6a; --series-7: #6b6b70;
  font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; font-size: 15px;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #161618; --panel: #1f1f22; --text: #ececec; --muted: #a0a0a6; --line: #333338; --accent: #e07a4a;
    --ok: #66bb6a; --warn: #ffb74d; --bad: #ef5350; --fresh: #3a3320;
    --series-0: #e07a4a; --series-1: #6fa3e6; --series-2: #6cc48d; --series-3: #b98ae0; --series-4: #e3b54f;
    --series-5: #5cc7c7; --series-6: #e0709c; --series-7: #a0a0a6;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; padding: 12px 24px; background: var(--panel); border-bottom: 1px solid var(--line); }
header h1 { margin: 0; font-size: 20px; color: var(--accent); letter-spacing: 0.5px; }
nav { display: flex; flex-wrap: wrap; gap: 4px; }
nav a { color: var(--muted); text-decoration: none; padding: 6px 12px; border-radius: 6px; }
nav a[aria-current="page"] { color: var(--text); background: var(--bg); font-weight: 600; }
.chip { margin-left: auto; font-size: 13px; padding: 3px 10px; border-radius: 12px; border: 1px solid var(--line); color: var(--muted); }
.chip[data-state="connected"] { color: var(--ok); border-color: var(--ok); }
.chip[data-state="disconnected"] { color: var(--bad); border-color: var(--bad); }
.badge { font-size: 12px; background: var(--accent); color: var(--panel); border-radius: 9px; padding: 0 6px; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 32px; }
h2 { font-size: 16px; margin: 24px 0 10px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.card h2 { margin: 0; font-size: 13px; font-weight: 500; color: var(--muted); }
.figure { margin: 6px 0 2px; font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
.sub { margin: 0; font-size: 13px; color: var(--muted); font-weight: normal; }
.note { color: var(--warn); font-size: 14px; }
.problem { margin: 0; padding: 10px 24px; background: var(--bad); color: #fff; }
.chart { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.chart svg { display: block; width: 100%; height: auto; }
.chart text { fill: var(--muted); font-size: 11px; }
.chart .grid { stroke: var(--line); }
.empty { color: var(--muted); font-size: 14px; padding: 16px; margin: 0; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; list-style: none; padding: 0; margin: 8px 0 0; font-size: 13px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.scroll { overflow-x: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; margin-top: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; text-align: right; white-space: nowrap; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
th { color: var(--muted); font-weight: 500; position: sticky; top: 0; background: var(--panel); }
tbody tr:last-child td { border-bottom: none; }
tr.fresh td { animation: fresh 2s ease-out; }
@keyframes fresh { from { background: var(--fresh); } to { background: transparent; } }
td .flag { font-size: 11px; color: var(--warn); margin-left: 4px; }
td.bad { color: var(--bad); }
button.link { background: none; border: none; padding: 0; color: var(--accent); cursor: pointer; font: inherit; text-decoration: underline; }
tr.selected td { background: var(--bg); }
.budget { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; margin-bottom: 8px; }
.budget .bar { height: 10px; background: var(--line); border-radius: 5px; overflow: hidden; margin: 6px 0 4px; }
.budget .bar span { display: block; height: 100%; background: var(--ok); }
.budget[data-level="warn"] .bar span { background: var(--warn); }
.budget[data-level="spent"] .bar span { background: var(--bad); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 20px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.log { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px; font-size: 12px; overflow-x: auto; white-space: pre; margin: 0; }
footer { max-width: 1200px; margin: 0 auto; padding: 0 24px 24px; font-size: 12px; color: var(--muted); }
@media (max-width: 640px) {
  header { padding: 10px 12px; }
  main { padding: 8px 12px 24px; }
  .chip { margin-left: 0; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .card { padding: 10px 12px; }
  .figure { font-size: 20px; }
  .facts { grid-template-columns: 1fr; }
  .facts dd { margin-bottom: 6px; }
}
"""#
}
