// SPDX-License-Identifier: MIT
// The browser benchmark: `npm run bench:browser -- [matmul] [conv] [optim] [forward] [train] [nn]
//   [--browsers chromium,firefox] [--layers conv1,conv3] [--versions 03_implicit_gemm,vec4]
//   [--batch 8] [--repeats N] [--warmup N] [--quick] [--peers tfjs,ort | --no-peers] [--no-node]
//   [--node-without-subgroups] [--json] [--profile] [--kernels] [--tolerance 1e-3] [--job-timeout 7200]`
// The same workloads as `npm run bench` (bench/workloads.ts: the same code) in Node on Dawn, then
// in Debian's Chromium (SwiftShader) and Firefox ESR (lavapipe), each engine (this library,
// TF.js, onnxruntime-web) in a fresh headless browser, launched as the browser tests launch
// them (test/browser/browsers.ts). Pages come from a server of its own on 127.0.0.1; a request
// anywhere else fails the run. Prints a table per workload (Node beside each browser, with the
// errors and how each figure was timed), or JSON with --json. Exits 1 after any failure: a job
// that threw, a wrong or non-finite output, an error over the tolerance, a request elsewhere.
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { EXECUTABLES, installed, launchOptions, type BrowserName } from '../../test/browser/browsers.js';
import { BROWSER_WORKLOADS, isWorkload, type Workload, type WorkloadOptions } from '../workloads.js';
import { bundlePage, ensureOnnx } from './assets.js';
import { serveBench, type BenchServer } from './serve.js';
import { formatPeers, formatTables, overTolerance, type ResultRow, type Where } from './table.js';
import type { Engine } from './protocol.js';
import type { AdapterFacts, PageJob, PageState } from './protocol.js';

export interface BrowserBenchOptions {
  workloads: Workload[];
  browsers: BrowserName[];
  peers: { tfjs: boolean; ort: boolean };
  node: boolean;
  /** Node's device does not ask for subgroups (the kernels Firefox gets) */
  nodeWithoutSubgroups?: boolean;
  /** what every job gets: batch, layers, versions, repeats, warmup, quick */
  work: Omit<WorkloadOptions, 'log'>;
  tolerance: number;
  /** seconds one job (one workload of one engine) may take before its browser is killed */
  jobTimeoutS: number;
  /** print the pages' logs (AlexNet's per-layer profile) */
  profile: boolean;
  json: boolean;
}

export interface EngineFacts {
  where: Where;
  engine: Engine;
  /** the browser's version, or Node's and Dawn's */
  version: string;
  adapter: string;
  timestamp: boolean;
  /** lavapipe's thread count as this engine's process sees it */
  lpThreads: string;
}

export interface BrowserBenchResult {
  rows: ResultRow[];
  engines: EngineFacts[];
  failures: string[];
}

const root = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/** The command line's options; throws an Error naming the bad argument. */
export function parseBrowserBenchArgs(argv: string[]): BrowserBenchOptions {
  const o: BrowserBenchOptions = {
    workloads: [], browsers: ['chromium', 'firefox'], peers: { tfjs: true, ort: true }, node: true,
    work: {}, tolerance: 1e-3, jobTimeoutS: 7200, profile: false, json: false,
  };
  const list = (i: number) => (argv[i + 1] ?? '').split(',').filter(Boolean);
  const num = (i: number, int: boolean) => {
    const v = Number(argv[i + 1]);
    if (argv[i + 1] === undefined || !Number.isFinite(v) || v <= 0 || (int && !Number.isInteger(v))) throw new Error(`${argv[i]}: expected a positive ${int ? 'integer' : 'number'}, got '${argv[i + 1] ?? ''}'`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--browsers': {
        const bs = list(i++);
        for (const b of bs) if (b !== 'chromium' && b !== 'firefox') throw new Error(`--browsers: unknown browser '${b}' (known: chromium, firefox)`);
        o.browsers = bs as BrowserName[];
        break;
      }
      case '--peers': {
        const ps = list(i++);
        for (const p of ps) if (p !== 'tfjs' && p !== 'ort') throw new Error(`--peers: unknown peer '${p}' (known: tfjs, ort)`);
        o.peers = { tfjs: ps.includes('tfjs'), ort: ps.includes('ort') };
        break;
      }
      case '--no-peers': o.peers = { tfjs: false, ort: false }; break;
      case '--no-node': o.node = false; break;
      case '--node-without-subgroups': o.nodeWithoutSubgroups = true; break;
      case '--kernels': o.work.kernels = true; o.profile = true; break;
      case '--layers': o.work.layers = list(i++); break;
      case '--versions': o.work.versions = list(i++); break;
      case '--batch': o.work.batch = num(i++, true); break;
      case '--repeats': o.work.repeats = num(i++, true); break;
      case '--warmup': o.work.warmup = num(i++, true); break;
      case '--quick': o.work.quick = true; break;
      case '--tolerance': o.tolerance = num(i++, false); break;
      case '--job-timeout': o.jobTimeoutS = num(i++, false); break;
      case '--profile': o.profile = true; break;
      case '--json': o.json = true; break;
      default:
        if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
        if (!isWorkload(a)) throw new Error(`unknown workload '${a}' (known: ${BROWSER_WORKLOADS.join(', ')}, nn)`);
        o.workloads.push(a);
    }
  }
  if (!o.workloads.length) o.workloads = [...BROWSER_WORKLOADS];
  for (const l of o.work.layers ?? []) if (!/^conv[1-5]$/.test(l)) throw new Error(`--layers: unknown layer '${l}' (conv1..conv5)`);
  return o;
}

/** Each browser's jobs, engine by engine: the library's workloads, then the peers' passes. */
function enginesFor(o: BrowserBenchOptions): { engine: Engine; workloads: Workload[] }[] {
  const out: { engine: Engine; workloads: Workload[] }[] = [{ engine: 'library', workloads: o.workloads }];
  const passes = o.workloads.filter((w) => w === 'forward' || w === 'train');
  if (o.peers.tfjs && passes.length) out.push({ engine: 'tfjs', workloads: passes });
  if (o.peers.ort && passes.includes('forward')) out.push({ engine: 'ort', workloads: ['forward'] });
  return out;
}

async function runNode(o: BrowserBenchOptions, log: (s: string) => void): Promise<{ rows: ResultRow[]; facts: EngineFacts }> {
  const { initDevice } = await import('../../src/node/device.js');
  const { runWorkload } = await import('../workloads.js');
  // --node-without-subgroups: Node on the kernels a browser without subgroups (Firefox) gets
  const device = await initDevice({ without: o.nodeWithoutSubgroups ? ['subgroups'] : [] });
  const rows: ResultRow[] = [];
  try {
    for (const w of o.workloads) {
      const t0 = performance.now();
      const r = await runWorkload(w, device, { ...o.work, log: o.profile ? (s) => log(`[node] ${s}`) : undefined });
      rows.push(...r.map((row) => ({ ...row, where: 'node' as const, engine: 'library' as const, workload: w })));
      log(`[node library] ${w}: ${r.length} rows in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const dawn = `Node ${process.version}, npm webgpu (Dawn)${o.nodeWithoutSubgroups ? ', without subgroups' : ''}`;
    return { rows, facts: { where: 'node', engine: 'library', version: dawn, adapter: device.describe(), timestamp: device.features.timestamp, lpThreads: process.env.LP_NUM_THREADS ?? '?' } };
  } finally {
    device.destroy();
  }
}

type BenchGlobal = { benchPage: { adapter(): Promise<AdapterFacts>; start(job: PageJob): boolean; poll(): string } };

/** One engine in a fresh browser: its jobs one after another, each polled until done. */
async function runEngine(name: BrowserName, engine: Engine, workloads: Workload[], server: BenchServer, o: BrowserBenchOptions,
  env: NodeJS.ProcessEnv, log: (s: string) => void): Promise<{ rows: ResultRow[]; facts?: EngineFacts; failures: string[] }> {
  const tag = `[${name} ${engine}]`;
  const rows: ResultRow[] = [];
  const failures: string[] = [];
  let facts: EngineFacts | undefined;
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({ ...launchOptions(name), env, protocolTimeout: 180_000 });
    const page: Page = await browser.newPage();
    page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(server.origin + '/') && !/^(data|blob|about):/.test(url)) failures.push(`${tag} the page asked for ${url}: nothing may come from outside ${server.origin}`);
    });
    page.on('pageerror', (e) => log(`${tag} page error: ${(e as Error).message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') log(`${tag} console.${m.type()}: ${m.text().slice(0, 500)}`);
    });
    await page.goto(server.url, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForFunction(() => document.body.dataset.bench === 'ready', { timeout: 60_000, polling: 200 });
    const a = await page.evaluate(() => (globalThis as unknown as BenchGlobal).benchPage.adapter());
    const lp = name === 'firefox' ? (env.LP_NUM_THREADS ?? `unset (lavapipe: one per core, ${availableParallelism()})`) : 'n/a (SwiftShader)';
    facts = { where: name, engine, version: await browser.version(), adapter: `${a.description}${a.isFallbackAdapter ? ' (fallback adapter)' : ''}`, timestamp: a.timestamp, lpThreads: lp };
    for (const w of workloads) {
      const job: PageJob = { engine, workload: w, opts: o.work };
      const t0 = performance.now();
      if (!(await page.evaluate((j) => (globalThis as unknown as BenchGlobal).benchPage.start(j), job))) throw new Error(`${tag} ${w}: the page was still busy`);
      let state: PageState;
      for (;;) {
        await new Promise((r) => setTimeout(r, 500));
        const text = await page.evaluate(() => (globalThis as unknown as BenchGlobal).benchPage.poll());
        state = JSON.parse(text, (_, v) => (v && typeof v === 'object' && 'nonFinite' in v ? Number(v.nonFinite) : v)) as PageState;
        if (o.profile) for (const l of state.log) log(`${tag} ${l}`);
        if (state.status !== 'running') break;
        if (performance.now() - t0 > o.jobTimeoutS * 1000) throw new Error(`${tag} ${w}: still running after ${o.jobTimeoutS} s (--job-timeout); browser killed`);
      }
      for (const b of state.blocked) failures.push(`${tag} ${w}: the page's Content-Security-Policy blocked ${b}`);
      if (state.status === 'error') {
        failures.push(`${tag} ${w}: ${state.error}`);
        log(`${tag} ${w}: FAILED: ${(state.error ?? '').split('\n')[0]}`);
        continue;
      }
      rows.push(...state.rows.map((r) => ({ ...r, where: name, engine, workload: w })));
      log(`${tag} ${w}: ${state.rows.length} rows in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  } catch (e) {
    failures.push(`${tag} ${(e as Error).message}`);
    log(`${tag} FAILED: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    if (browser) {
      await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
      browser.process()?.kill('SIGKILL');
    }
  }
  return { rows, facts, failures };
}

/** Runs everything `o` asks for; never throws for a failed job (it is in `failures`). */
export async function runBrowserBench(o: BrowserBenchOptions, log: (s: string) => void = (s) => console.error(s)): Promise<BrowserBenchResult> {
  const env = { ...process.env }; // before Node's device sets its own LP_NUM_THREADS default
  const rows: ResultRow[] = [];
  const engines: EngineFacts[] = [];
  const failures: string[] = [];
  const plan = enginesFor(o);
  const peers = { tfjs: plan.some((p) => p.engine === 'tfjs'), ort: plan.some((p) => p.engine === 'ort') };
  // a folder of this run's own: two runs at once (a benchmark and the browser test) never
  // serve each other's bundles
  const web = mkdtempSync(join(tmpdir(), 'bench-web-'));
  try {
    await bundlePage(root, web, peers);
    await runAll(o, plan, peers, web, env, { rows, engines, failures }, log);
  } finally {
    rmSync(web, { recursive: true, force: true });
  }
  for (const r of overTolerance(rows, o.tolerance)) failures.push(`[${r.where} ${r.engine}] ${r.bench} ${r.shape} ${r.version}: error ${r.maxRelError} over the tolerance ${o.tolerance}`);
  return { rows, engines, failures };
}

async function runAll(o: BrowserBenchOptions, plan: ReturnType<typeof enginesFor>, peers: { tfjs: boolean; ort: boolean }, web: string,
  env: NodeJS.ProcessEnv, { rows, engines, failures }: BrowserBenchResult, log: (s: string) => void): Promise<void> {
  const routes: Record<string, string> = { '/': web };
  if (peers.ort) {
    routes['/ort/'] = join(root, 'node_modules', 'onnxruntime-web', 'dist');
    try {
      routes['/onnx/'] = ensureOnnx(root, join(root, '.bench', 'onnx'), o.work.batch ?? 8, log);
    } catch (e) {
      failures.push((e as Error).message);
      for (const p of plan) if (p.engine === 'ort') p.workloads = [];
    }
  }
  if (o.node) {
    try {
      const n = await runNode(o, log);
      rows.push(...n.rows);
      engines.push(n.facts);
    } catch (e) {
      failures.push(`[node] ${(e as Error).message}`);
    }
  }
  const server = await serveBench(routes);
  try {
    for (const name of o.browsers) {
      if (!installed(name)) {
        failures.push(`${EXECUTABLES[name]} is missing: run scripts/install-browsers.sh as root (or bash scripts/setup.sh --browsers)`);
        continue;
      }
      for (const { engine, workloads } of plan) {
        if (!workloads.length) continue;
        const r = await runEngine(name, engine, workloads, server, o, env, log);
        rows.push(...r.rows);
        if (r.facts) engines.push(r.facts);
        failures.push(...r.failures);
      }
    }
  } finally {
    await server.close();
  }
  failures.push(...server.problems.map((p) => `server: ${p}`));
}

/** The report: the engines, a table per workload, the peers, the failures. */
export function formatReport(o: BrowserBenchOptions, r: BrowserBenchResult): string {
  const wheres: Where[] = [...(o.node ? (['node'] as const) : []), ...o.browsers];
  const lines = [
    `npm run bench:browser, ${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${availableParallelism()} cores`,
    `batch ${o.work.batch ?? 8}${o.work.repeats ? `, ${o.work.repeats} timed run${o.work.repeats > 1 ? 's' : ''} a row` : ''}; timing: ts = timestamp queries (GPU time), wall = wall time around finished, read-back work`,
    '',
    '| engine | where | version | adapter | timestamp queries | LP_NUM_THREADS |',
    '|---|---|---|---|---|---|',
    ...r.engines.map((e) => `| ${e.engine} | ${e.where} | ${e.version} | ${e.adapter} | ${e.timestamp ? 'yes' : 'no'} | ${e.lpThreads} |`),
    ...formatTables(r.rows, o.workloads, wheres, o.tolerance),
  ];
  const peers = formatPeers(r.rows, o.browsers);
  if (peers.length) lines.push('', ...peers);
  if (r.failures.length) lines.push('', `FAILED (${r.failures.length}):`, ...r.failures.map((f) => `- ${f}`));
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let o: BrowserBenchOptions;
  try {
    o = parseBrowserBenchArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench:browser: ${(e as Error).message}`);
    process.exit(2);
  }
  const r = await runBrowserBench(o);
  if (o.json) console.log(JSON.stringify({ options: o, engines: r.engines, rows: r.rows, failures: r.failures }, null, 1));
  else console.log(formatReport(o, r));
  process.exit(r.failures.length ? 1 : 0);
}
