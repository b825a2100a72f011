/**
 * The HTML report of a chaos run: one self-contained file (Chart.js, styles, data and script all
 * inline; no network access), which opens offline from `file://`. Charts: the recovery-time
 * distribution, faults over time, outcomes per workflow type.
 *
 * Chart.js is the pinned dependency's UMD build, read from node_modules and embedded as is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OBSERVED_FAULT_KINDS, recoveryTime, timeToDetect, timeToRecover } from './metrics';
import { killsCarriedOut, type ChaosReport } from './report';

/** The Chart.js UMD build shipped in the `chart.js` package (not in its exports map, so by path). */
export function chartJsSource(): string {
  const dist = path.dirname(require.resolve('chart.js'));
  return fs.readFileSync(path.join(dist, 'chart.umd.min.js'), 'utf8');
}

/** Colours per fault kind, fixed so that a kind looks the same in every chart. */
const KIND_COLOURS: Record<string, string> = {
  transient: '#4e79a7',
  permanent: '#e15759',
  timeout: '#f28e2b',
  'lost-ack': '#76b7b2',
  'worker-kill': '#b07aa1',
  'server-restart': '#9c755f',
  'node-kill': '#ff9da7',
  other: '#bab0ac',
};

/** Bucket widths that read well on an axis, in ms. */
const NICE_MS = [100, 200, 250, 500, 1_000, 2_000, 2_500, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];

function niceWidth(span: number, buckets: number): number {
  return NICE_MS.find((w) => span / w <= buckets) ?? Math.ceil(span / buckets);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe to embed in a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
}

/** The chart data, computed here so the page's script only draws. */
export function chartData(r: ChaosReport) {
  const kinds = OBSERVED_FAULT_KINDS.filter((k) => r.faults.some((f) => f.kind === k));

  // Recovery-time histogram, stacked by kind.
  const rts = r.faults.map((f) => ({ kind: f.kind, rt: recoveryTime(f) })).filter((x): x is { kind: typeof x.kind; rt: number } => x.rt !== undefined);
  const maxRt = Math.max(0, ...rts.map((x) => x.rt));
  const rtWidth = niceWidth(Math.max(maxRt, 1), 12);
  const rtBins = Math.floor(maxRt / rtWidth) + 1;
  const recovery = {
    labels: Array.from({ length: rtBins }, (_, i) => `${(i * rtWidth) / 1000}–${((i + 1) * rtWidth) / 1000} s`),
    datasets: kinds.map((kind) => {
      const data = new Array<number>(rtBins).fill(0);
      for (const x of rts) if (x.kind === kind) data[Math.floor(x.rt / rtWidth)]++;
      return { label: kind, data, backgroundColor: KIND_COLOURS[kind] };
    }),
  };

  // Faults over time: injection moments in buckets since the window's start, stacked by kind.
  const span = Math.max(r.window.end - r.window.start, 1);
  const tWidth = niceWidth(span, 30);
  const tBins = Math.floor(span / tWidth) + 1;
  const overTime = {
    labels: Array.from({ length: tBins }, (_, i) => `${(i * tWidth) / 1000} s`),
    datasets: kinds.map((kind) => {
      const data = new Array<number>(tBins).fill(0);
      for (const f of r.faults) {
        const t = f.injectedAt ?? f.detectedAt;
        if (f.kind === kind && t !== undefined) data[Math.min(tBins - 1, Math.max(0, Math.floor((t - r.window.start) / tWidth)))]++;
      }
      return { label: kind, data, backgroundColor: KIND_COLOURS[kind] };
    }),
  };

  // Outcomes per workflow type.
  const types = Object.keys(r.outcomesByType);
  const series: Array<[string, keyof ChaosReport['outcomesByType'][string], string]> = [
    ['completed', 'completed', '#59a14f'],
    ['failed as planned', 'failedAsPlanned', '#edc948'],
    ['incorrect', 'incorrect', '#e15759'],
    ['not terminal', 'notTerminal', '#bab0ac'],
  ];
  const outcomes = {
    labels: types,
    datasets: series.map(([label, key, colour]) => ({
      label,
      data: types.map((t) => r.outcomesByType[t][key]),
      backgroundColor: colour,
    })),
  };
  return { recovery, overTime, outcomes };
}

const STYLE = `
  :root { color-scheme: light; --fg: #1d2329; --muted: #5f6b76; --line: #dde3e8; --ok: #2e7d32; --bad: #c62828; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #f6f8fa; }
  header { padding: 20px 28px; background: #fff; border-bottom: 1px solid var(--line); }
  h1 { margin: 0 0 4px; font-size: 20px; }
  h2 { font-size: 15px; margin: 0 0 10px; }
  .muted { color: var(--muted); }
  main { padding: 20px 28px; display: grid; gap: 18px; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
  section.wide { grid-column: 1 / -1; }
  .verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; color: #fff; }
  .pass { background: var(--ok); } .fail { background: var(--bad); }
  .figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
  .figure { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
  .figure b { display: block; font-size: 16px; }
  .chart { position: relative; height: 280px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .ok { color: var(--ok); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; }
`;

const DRAW = `
  (function () {
    var data = JSON.parse(document.getElementById('chaos-data').textContent);
    var common = { animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom' } } };
    function stacked(id, chart, xTitle, yTitle, horizontal) {
      return new Chart(document.getElementById(id), { type: 'bar', data: chart,
        options: Object.assign({}, common, { indexAxis: horizontal ? 'y' : 'x', scales: {
          x: { stacked: true, title: { display: true, text: xTitle } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: yTitle } } } }) });
    }
    window.chaosCharts = [
      stacked('chart-recovery', data.recovery, 'recovery time T_RT (bins)', 'faults'),
      stacked('chart-over-time', data.overTime, 'time since the first run started', 'faults injected'),
      stacked('chart-outcomes', data.outcomes, 'runs', '', true),
    ];
    document.body.setAttribute('data-charts-ready', String(window.chaosCharts.length));
  })();
`;

/** Renders the report as one self-contained HTML document. */
export function renderReportHtml(r: ChaosReport): string {
  const m = r.metrics;
  const figure = (label: string, value: string, note = '') =>
    `<div class="figure"><span class="muted">${escapeHtml(label)}</span><b>${escapeHtml(value)}</b>${note ? `<span class="muted">${escapeHtml(note)}</span>` : ''}</div>`;
  const dist = (d: typeof m.tRT) => `${fmtMs(d.p50)} / ${fmtMs(d.p95)} / ${fmtMs(d.max)}`;
  const faultRows = r.faults
    .slice(0, 500)
    .map(
      (f) =>
        `<tr><td>${escapeHtml(f.kind)}</td><td>${escapeHtml(f.workflowId ?? '—')}</td><td>${escapeHtml(f.step ?? '—')}</td>` +
        `<td class="num">${f.injectedAt !== undefined ? ((f.injectedAt - r.window.start) / 1000).toFixed(2) + ' s' : '—'}</td>` +
        `<td class="num">${fmtMs(timeToDetect(f))}</td><td class="num">${fmtMs(timeToRecover(f))}</td><td class="num">${fmtMs(recoveryTime(f))}</td>` +
        `<td class="${f.outcomeCorrect ? 'ok' : 'bad'}">${f.outcomeCorrect ? 'yes' : 'no'}</td></tr>`,
    )
    .join('\n');
  const invariantRows = r.invariants
    .map(
      (v) =>
        `<tr><td class="${v.holds ? 'ok' : 'bad'}">${v.holds ? 'holds' : 'VIOLATED'}</td><td>${escapeHtml(v.name)}</td><td class="num">${v.checked}</td>` +
        `<td>${[...v.violations, ...(v.notes ?? []).map((n) => `note: ${n}`)].slice(0, 20).map(escapeHtml).join('<br>') || '—'}</td></tr>`,
    )
    .join('\n');
  const counterNames = [...new Set(r.workers.flatMap((w) => Object.keys(w.counters)))];
  const workerRows = r.workers
    .map(
      (w) =>
        `<tr><td>${escapeHtml(w.identity)}</td><td>${w.killed ? 'killed' : 'stopped'}</td>` +
        counterNames.map((c) => `<td class="num">${w.counters[c] ?? 0}</td>`).join('') +
        '</tr>',
    )
    .join('\n');
  const title = `Steadfast chaos run — seed ${r.seed}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>${escapeHtml(title)} <span class="verdict ${r.passed ? 'pass' : 'fail'}">${r.passed ? 'PASS' : 'FAIL'}</span></h1>
  <div class="muted">${r.runs.length} runs of ${escapeHtml(Object.keys(r.outcomesByType).join(', '))} on ${r.options.workers} workers ·
    ${escapeHtml(killsCarriedOut(r))}${r.serverRestarts.length ? ` · ${r.serverRestarts.length} server restart(s)` : ''}${r.nodeKills?.length ? ` · ${r.nodeKills.length} server-node kill(s)` : ''} ·
    fault rates: transient ${r.options.rates.transient}, permanent ${r.options.rates.permanent}, timeout ${r.options.rates.timeout}, lost-ack ${r.options.rates.lostAck} ·
    server ${escapeHtml(r.server)} · ${escapeHtml(new Date(r.startedAt).toISOString())}, ${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s</div>
</header>
<main>
  <section class="wide">
    <h2>Reliability figures</h2>
    <div class="figures">
      ${figure('faults', String(m.faults), Object.entries(m.faultsByKind).map(([k, n]) => `${k} ${n}`).join(', '))}
      ${figure('MTBF', m.mtbfMs === null ? 'no fault' : fmtMs(m.mtbfMs), `over ${fmtMs(m.windowMs)}`)}
      ${figure('λ = 1/MTBF', `${m.failureRatePerSecond.toFixed(3)} /s`)}
      ${figure('T_FD p50 / p95 / max', dist(m.tFD), `${m.tFD.count} faults`)}
      ${figure('T_R p50 / p95 / max', dist(m.tR), `${m.tR.count} faults`)}
      ${figure('T_RT p50 / p95 / max', dist(m.tRT), `${m.tRT.count} faults`)}
      ${figure('fault tolerance', m.faultTolerance.rate === null ? '—' : `${(m.faultTolerance.rate * 100).toFixed(1)} %`, `${m.faultTolerance.tolerated} of ${m.faultTolerance.total}`)}
    </div>
  </section>
  <section><h2>Recovery-time distribution (T_RT = T_FD + T_R)</h2><div class="chart"><canvas id="chart-recovery" role="img" aria-label="recovery time histogram"></canvas></div></section>
  <section><h2>Faults over time</h2><div class="chart"><canvas id="chart-over-time" role="img" aria-label="faults over time"></canvas></div></section>
  <section><h2>Outcomes per workflow type</h2><div class="chart"><canvas id="chart-outcomes" role="img" aria-label="outcomes per workflow type"></canvas></div></section>
  <section>
    <h2>Invariants</h2>
    <table><thead><tr><th></th><th>invariant</th><th>checked</th><th>violations</th></tr></thead><tbody>${invariantRows}</tbody></table>
  </section>
  <section class="wide">
    <h2>Worker processes (SDK Prometheus counters, last scrape)</h2>
    <table><thead><tr><th>worker</th><th>end</th>${counterNames.map((c) => `<th>${escapeHtml(c.replace(/^temporal_/, ''))}</th>`).join('')}</tr></thead><tbody>${workerRows}</tbody></table>
  </section>
  <section class="wide">
    <h2>Faults (${r.faults.length}${r.faults.length > 500 ? ', first 500' : ''})</h2>
    <table><thead><tr><th>kind</th><th>run</th><th>step</th><th>injected at</th><th>T_FD</th><th>T_R</th><th>T_RT</th><th>tolerated</th></tr></thead>
    <tbody>${faultRows}</tbody></table>
  </section>
</main>
<script id="chaos-data" type="application/json">${scriptJson(chartData(r))}</script>
<script>${chartJsSource().replace(/<\/script/gi, '<\\/script')}</script>
<script>${DRAW}</script>
</body>
</html>
`;
}
