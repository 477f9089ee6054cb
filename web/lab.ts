// SPDX-License-Identifier: MIT
// The Kernel lab tab: pick an AlexNet conv layer or type a shape, run every conv2d version
// (or every matmul version) on this browser's GPU, and read each one's time, GFLOP/s, error
// against the float64 oracle, the selector's explanation, the WGSL it runs, and the section
// of docs/conv2d.md that explains it (embedded by the web build). `#lab=conv3` in the page's
// address opens the lab on that layer (docs/conv2d.md links here that way).
import CONV2D_DOC from '../docs/conv2d.md';
import { getDevice } from '../src/index.js';
import { WGSL } from '../src/kernels/wgsl.generated.js';
import { docAnchor, docHeading, docSection, DOC_PATH } from './lab-doc.js';
import { ALEXNET_CONV, parseConvSpec, runConvLab, runMatmulLab, type ConvSpec, type LabResult, type LabRow, type MatmulSpec } from './lab-run.js';
import { $, adapterLabel, setState } from './ui.js';

export interface LabTab {
  runConv(spec: ConvSpec, repeats?: number, only?: readonly string[]): Promise<LabResult>;
  runMatmul(spec: MatmulSpec, repeats?: number): Promise<LabResult>;
}

const fmt = (v: number | null, digits: number) => (v === null ? '' : v < 10 ** -digits && v !== 0 ? v.toExponential(1) : v.toFixed(digits));

export function setupLab(): LabTab {
  const select = $('lab-layer') as HTMLSelectElement;
  for (const name of Object.keys(ALEXNET_CONV)) select.add(new Option(`${name} (AlexNet, batch 1)`, name));
  select.add(new Option('small test shape', 'small'));
  const wanted = /^#lab=(\w+)/.exec(location.hash)?.[1];
  if (wanted && ALEXNET_CONV[wanted]) select.value = wanted;
  const table = $('lab-table') as HTMLTableElement;
  const source = $('lab-source');
  const d = getDevice();
  const lim = d.limits;
  $('lab-adapter').textContent =
    `adapter: ${adapterLabel(d)}\n` +
    `features: ${[...(d.features.timestamp ? ['timestamp-query'] : []), ...(d.features.subgroups ? ['subgroups'] : []), ...(d.features.f16 ? ['shader-f16'] : [])].join(', ') || 'none the library uses'}\n` +
    ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage']
      .map((k) => `${k}: ${(lim as unknown as Record<string, number>)[k]}`)
      .join('\n');

  const header = () => {
    table.innerHTML = '<tr><th>pass</th><th>version</th><th>ms</th><th>GFLOP/s</th><th>max error</th><th class="name">WGSL</th><th class="name">read</th></tr>';
  };
  const addRow = (r: LabRow, chosen: boolean) => {
    const tr = table.insertRow();
    const bad = r.error !== null && !(r.error < 1e-4);
    tr.className = chosen ? 'chosen' : bad ? 'bad' : '';
    const cells = [r.pass, r.version, fmt(r.ms, 2), fmt(r.gflops, 2), r.unsupported ? `cannot run: ${r.unsupported}` : fmt(r.error, 8)];
    for (const c of cells) tr.insertCell().textContent = c;
    tr.cells[1]!.className = 'name';
    if (r.unsupported) tr.cells[4]!.className = 'name';
    const files = tr.insertCell();
    files.className = 'name';
    for (const f of r.wgsl) {
      const a = document.createElement('a');
      a.href = '#';
      a.textContent = f;
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        source.textContent = `// ${f}\n${(WGSL as Record<string, string>)[f] ?? '(not embedded)'}`;
      });
      files.append(a, ' ');
    }
    if (r.note) files.append(` (${r.note})`);
    const read = tr.insertCell();
    read.className = 'name';
    const heading = docHeading(r.version, r.pass);
    if (heading) {
      const a = document.createElement('a');
      a.href = `#lab-doc-${docAnchor(heading)}`;
      a.textContent = `§ ${heading}`;
      a.className = 'doc';
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        source.textContent = `${DOC_PATH}#${docAnchor(heading)}\n\n${docSection(CONV2D_DOC, heading) ?? '(section not found)'}`;
      });
      read.append(a);
    }
  };
  const show = (res: LabResult) => {
    $('lab-choice').textContent = `${res.problem}. The selector: ${res.choices.map((c) => `${c.pass} → ${c.version}: ${c.why}`).join(' | ')}`;
    header();
    for (const r of res.rows) addRow(r, res.choices.some((c) => (c.pass === r.pass || c.pass === 'matmul') && c.version === r.version));
    const first = res.rows.find((r) => r.wgsl.length);
    if (first) source.textContent = `// ${first.wgsl[0]}\n${(WGSL as Record<string, string>)[first.wgsl[0]!] ?? ''}`;
  };

  let busy = false;
  const guard = async (fn: () => Promise<LabResult>): Promise<LabResult> => {
    if (busy) throw new Error('the lab is already running');
    busy = true;
    setState('lab', 'running');
    header();
    try {
      const res = await fn();
      show(res);
      setState('lab', 'done');
      return res;
    } catch (e) {
      $('lab-choice').textContent = `error: ${(e as Error).message}`;
      setState('lab', 'error');
      throw e;
    } finally {
      busy = false;
    }
  };
  const runConv = (spec: ConvSpec, repeats = 3, only?: readonly string[]) => guard(() => runConvLab(spec, repeats, (r) => addRow(r, false), only));
  const runMatmul = (spec: MatmulSpec, repeats = 3) => guard(() => runMatmulLab(spec, repeats, (r) => addRow(r, false)));

  const repeats = () => Math.max(1, Math.floor(Number(($('lab-repeats') as HTMLInputElement).value) || 3));
  $('lab-run').addEventListener('click', () => {
    const typed = ($('lab-shape') as HTMLInputElement).value.trim();
    let spec: ConvSpec;
    try {
      spec = typed ? parseConvSpec(typed) : select.value === 'small' ? parseConvSpec('') : ALEXNET_CONV[select.value]!;
    } catch (e) {
      $('lab-choice').textContent = (e as Error).message;
      return;
    }
    void runConv(spec, repeats()).catch(() => {});
  });
  $('lab-matmul').addEventListener('click', () => {
    const spec = ALEXNET_CONV[select.value];
    // the GEMM of the chosen layer as im2col sees it (or a small one)
    const mm: MatmulSpec = spec
      ? { m: spec.k, n: Math.ceil(((spec.h + 2 * spec.pad - spec.r) / spec.stride + 1) ** 2), k: spec.c * spec.r * spec.r }
      : { m: 64, n: 64, k: 64 };
    void runMatmul(mm, repeats()).catch(() => {});
  });
  ($('lab-run') as HTMLButtonElement).disabled = false;
  ($('lab-matmul') as HTMLButtonElement).disabled = false;
  return { runConv, runMatmul };
}
