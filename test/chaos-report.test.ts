/**
 * The chaos HTML report, rendered offline in headless Chromium (Debian's `chromium`, driven by
 * playwright-core): the three charts are drawn with their data, nothing is fetched from the
 * network, and the page has no script errors. A screenshot is left next to the report.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { isCI } from './helpers';
import { computeMetrics, type FaultRecord } from '../src/chaos/metrics';
import { ChaosOptionsSchema } from '../src/chaos/options';
import { outcomesByType, type ChaosReport } from '../src/chaos/report';
import { renderReportHtml } from '../src/chaos/report-html';
import type { RunRecord } from '../src/chaos/workflow-types';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A report over synthetic runs and faults, with every kind and every outcome represented. */
function syntheticReport(): ChaosReport {
  const start = 1_780_000_000_000;
  const kinds: FaultRecord['kind'][] = ['transient', 'transient', 'timeout', 'lost-ack', 'permanent', 'worker-kill', 'transient'];
  const faults: FaultRecord[] = kinds.map((kind, i) => ({
    kind,
    workflowId: `care-${i}`,
    workflowType: 'carePathway',
    step: i % 2 ? 'scheduleFollowUp' : 'admitPatient',
    injectedAt: start + 1_000 * (i + 1),
    detectedAt: start + 1_000 * (i + 1) + (kind === 'timeout' ? 10_000 : kind === 'worker-kill' ? 7_500 : 5),
    recoveredAt: kind === 'permanent' ? undefined : start + 1_000 * (i + 1) + (kind === 'timeout' ? 11_020 : kind === 'worker-kill' ? 8_600 : 1_010 * (i + 1)),
    outcomeCorrect: i !== 3,
  }));
  const runs: RunRecord[] = Array.from({ length: 10 }, (_, i) => ({
    workflowId: `care-${i}`,
    workflowType: i < 7 ? 'carePathway' : 'orderFulfillment',
    plan: {},
    args: [],
    expected: i === 4 ? { status: 'failed', failureType: 'SimulatedPermanentFault' } : { status: 'completed' },
    status: i === 4 ? 'failed' : i === 9 ? 'running' : 'completed',
    outcomeCorrect: i !== 3 && i !== 9,
  }));
  const window = { start, end: start + 24_000 };
  return {
    seed: 42,
    options: { ...ChaosOptionsSchema.parse({}), types: ['orderFulfillment'] },
    server: '127.0.0.1:7233',
    startedAt: start - 3_000,
    finishedAt: start + 26_000,
    window,
    runs,
    outcomesByType: outcomesByType(runs),
    faults,
    metrics: computeMetrics(faults, window),
    invariants: [
      { name: 'every run terminal', holds: false, checked: 10, violations: ['care-9: still running'] },
      { name: 'effects exactly once', holds: true, checked: 10, violations: [] },
    ],
    passed: false,
    kills: [{ at: start + 6_000, pid: 123, workerIdentity: '123@host', noticed: 1 }],
    serverRestarts: [],
    nodeKills: [],
    workers: [{ identity: '123@host', pid: 123, killed: true, counters: { temporal_activity_execution_failed: 3 } }],
  };
}

describe('chaos HTML report in headless Chromium', function () {
  let dir: string;
  let context: BrowserContext | undefined;

  before(function () {
    if (!fs.existsSync(CHROMIUM)) {
      // CI installs Debian's chromium (.ci/run); elsewhere say how, rather than fail obscurely.
      if (isCI()) throw new Error(`${CHROMIUM} is missing; .ci/run installs it with apt-get install chromium`);
      console.warn(`      skipped: no ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-report-'));
  });

  after(async function () {
    await context?.close().catch((err) => console.error('closing Chromium failed:', err));
  });

  it('draws the three charts from the embedded data, offline, without errors', async function () {
    const report = syntheticReport();
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, renderReportHtml(report));

    context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1000 },
    });
    const requests: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      requests.push(url);
      return url.startsWith('file:') ? route.continue() : route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));

    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-charts-ready="3"]', { timeout: 20_000 });

    const charts = await page.evaluate(() => {
      // The test's tsconfig has no DOM types: describe the little that is used.
      type Canvas = {
        id: string;
        width: number;
        height: number;
        getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
      };
      type ChartLike = { canvas: Canvas; data: { datasets: Array<{ label?: string; data: number[] }> } };
      const list = (globalThis as unknown as { chaosCharts: ChartLike[] }).chaosCharts;
      return list.map((c) => {
        const { width, height } = c.canvas;
        const pixels = c.canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
        return {
          id: c.canvas.id,
          width,
          height,
          painted,
          points: c.data.datasets.reduce((n, d) => n + d.data.reduce((s, v) => s + v, 0), 0),
          labels: c.data.datasets.map((d) => d.label),
        };
      });
    });

    assert.deepEqual(charts.map((c) => c.id), ['chart-recovery', 'chart-over-time', 'chart-outcomes']);
    const [recovery, overTime, outcomes] = charts;
    // Six faults recovered (all but the permanent one); seven were injected; ten runs.
    assert.equal(recovery.points, 6);
    assert.equal(overTime.points, 7);
    assert.equal(outcomes.points, 10);
    assert.deepEqual(outcomes.labels, ['completed', 'failed as planned', 'incorrect', 'not terminal']);
    for (const c of charts) {
      assert.ok(c.width > 100 && c.height > 100, `${c.id} has a size`);
      // Bars, axes and legend paint a real share of the canvas; a blank canvas paints nothing.
      assert.ok(c.painted > 0.02 * c.width * c.height, `${c.id} is drawn (${c.painted} of ${c.width * c.height} pixels)`);
    }
    assert.deepEqual(errors, [], 'no script errors');
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'no network requests');
    assert.match(await page.textContent('h1') ?? '', /seed 42.*FAIL/);

    const shot = path.join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(fs.statSync(shot).size > 10_000, 'a screenshot was written');
    console.log(`      (screenshot: ${shot})`);
  });
});
