// Fuzz: command lines with at least one bad argument (a value that does not parse or is out of
// range, an unknown option, a missing file, a stray positional), in random order with valid ones.
// Every case must exit 2 with one message line naming the culprit and the usage hint, print
// nothing on stdout, fail before any work (no device created: the one in place when it starts is
// the one its exit destroys) and write nothing (no run folder, no file anywhere in its folders).
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { main } from '../../src/node/cli.js';
import { writeSyntheticSet } from '../../src/node/demo.js';
import { setDevice, type Device } from '../../src/tensor/index.js';
import { FUZZ_SEED, fuzzCases, fuzzTimeout, replay, reportFuzzCases, Rng } from './fuzz.js';

const root = mkdtempSync(join(tmpdir(), 'alexnet-fuzz-args-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const MODEL = join(root, 'not-a-checkpoint.safetensors');
writeFileSync(MODEL, 'garbage');
const set = writeSyntheticSet(join(root, 'data'), { size: 16, perClass: { train: 2, validation: 1, test: 1 }, seed: 1 });

/** Where train writes when the line is valid (never, here: every line is bad). */
const OUT = join(root, 'runs', 'out');

/** Every path under `dir`, links not followed (the snapshot that must not change). */
function listing(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const rel = prefix + e.name;
    return e.isDirectory() ? [rel + '/', ...listing(join(dir, e.name), rel + '/')] : [rel];
  }).sort();
}

/**
 * A stand-in for the device: when the command never creates one, main's exit destroys this
 * one (it is still in place); a command that created one would have replaced it. Asking it
 * to describe itself counts as using it; anything else it is asked fails the command.
 */
function sentinel(): { device: Device; destroyed: () => boolean; used: () => boolean } {
  let destroyed = false;
  let used = false;
  const device = {
    isDestroyed: false,
    destroy: () => void (destroyed = true),
    describe: () => ((used = true), 'fuzz sentinel device'),
  } as unknown as Device;
  return { device, destroyed: () => destroyed, used: () => used };
}

type Kind = 'int' | 'number' | 'model' | 'optimizer' | 'dir' | 'out' | 'flag' | 'own';
/** Valid and invalid values of each kind of option. */
const VALUES: Record<Kind, { ok: string[]; bad: string[] }> = {
  int: { ok: ['1', '2', '3'], bad: ['', 'abc', '-5', '1.5', 'NaN', '1e400', '0x1G', '９', '3 4', '--'] },
  number: { ok: ['0.5', '0.01', '1'], bad: ['', 'abc', '-1', '0', 'NaN', 'Infinity', '1e400', '1,5'] },
  model: { ok: ['paper', 'keras-bn', 'torchvision'], bad: ['vgg', '', 'PAPER', 'paper;rm -rf'] },
  optimizer: { ok: ['sgd', 'adam'], bad: ['rmsprop', '', 'SGD ', 'adam\n'] },
  dir: { ok: [set.train], bad: [join(root, 'missing'), join(root, 'missing', 'x'), ''] },
  out: { ok: [OUT], bad: [] },
  flag: { ok: [], bad: [] },
  own: { ok: [], bad: [] },
};
/** Options with their own rules (train's recipe flags, src/node/commands/recipe.ts). */
const OWN: Record<string, { ok: string[]; bad: string[] }> = {
  'weight-decay': { ok: ['0', '0.0005'], bad: ['', 'abc', '-1', 'NaN', 'Infinity'] },
  'label-smoothing': { ok: ['0', '0.1'], bad: ['1', '-0.1', 'abc', ''] },
  schedule: { ok: ['constant'], bad: ['linear', '', 'COSINE'] },
  'warmup-epochs': { ok: ['0'], bad: ['-1', 'abc', ''] },
  ema: { ok: ['0.99'], bad: ['1', '0', 'abc'] },
  'random-crop': { ok: ['0.5', '1'], bad: ['0', '1.5', 'abc'] },
  'cache-mb': { ok: ['0', '64'], bad: ['-1', '1.5', 'abc'] },
};

const COMMANDS: Record<string, Record<string, Kind>> = {
  train: {
    data: 'dir', val: 'dir', epochs: 'int', 'batch-size': 'int', seed: 'int', patience: 'int', workers: 'int', 'input-size': 'int',
    lr: 'number', width: 'number', model: 'model', optimizer: 'optimizer', augment: 'flag', out: 'out',
    'weight-decay': 'own', 'label-smoothing': 'own', schedule: 'own', 'warmup-epochs': 'own', ema: 'own', 'random-crop': 'own', 'cache-mb': 'own',
  },
  summary: { model: 'model', 'input-size': 'int', classes: 'int', width: 'number' },
  profile: { model: 'model', 'input-size': 'int', width: 'number', 'batch-size': 'int', classes: 'int', optimizer: 'optimizer', steps: 'int', json: 'flag' },
  tune: { model: 'model', 'input-size': 'int', width: 'number', 'batch-size': 'int', classes: 'int', runs: 'int', 'dry-run': 'flag' },
  demo: { epochs: 'int', seed: 'int' },
  evaluate: { 'batch-size': 'int', workers: 'int', json: 'flag' },
  predict: { json: 'flag' },
};
/** Valid values of options whose range is narrower than their kind's. */
const OK: Record<string, string[]> = { 'input-size': ['67', '99'], workers: ['0', '1'] };
/** Values an int option accepts that its range refuses (verbose > 2, input size < 16, a zero count). */
const RANGE_BAD: Record<string, string[]> = { 'input-size': ['15', '0'], epochs: ['0'], 'batch-size': ['0'], verbose: ['3'], classes: ['0'], steps: ['0'], runs: ['0'] };

function genCase(r: Rng): { argv: string[]; culprit: string } {
  const command = r.pick([...Object.keys(COMMANDS), 'fly', 'TRAIN', '']);
  if (!(command in COMMANDS)) return { argv: [command, ...(r.chance(0.5) ? ['--epochs', '1'] : [])], culprit: `unknown command '${command}'` };
  const options = COMMANDS[command]!;
  const args: string[][] = [];
  // the one bad argument (chosen first: a later valid value of the same option would override it)
  let culprit: string;
  const choices = Object.entries(options).filter(([, k]) => k !== 'flag' && k !== 'out');
  const how = r.int(0, 3);
  const badOption = how >= 2 && choices.length ? r.pick(choices) : undefined;
  // required positionals and options, valid (the model file exists but is not a checkpoint:
  // reading it before the arguments are checked would fail with exit status 3)
  if (command === 'train' && badOption?.[0] !== 'data') args.push(['--data', set.train]);
  if (command === 'predict') args.push([MODEL], [set.testFiles[0]!.file]);
  if (command === 'evaluate') args.push([MODEL], [set.validation]);
  for (const [name, kind] of Object.entries(options)) {
    if (!r.chance(0.4) || name === 'data' || name === badOption?.[0]) continue;
    args.push(kind === 'flag' ? [`--${name}`] : [`--${name}`, r.pick(OWN[name]?.ok ?? OK[name] ?? VALUES[kind].ok)]);
  }
  if (how === 0 || choices.length === 0) {
    const bogus = r.pick(['--bogus', '--epoch', '-x', '--no-such=1', '--modell']);
    args.push([bogus]);
    culprit = 'Unknown option';
  } else if (!badOption) {
    // predict/evaluate: the model file is missing (the run folder is never written); others: a stray positional
    if (command === 'predict' || command === 'evaluate') {
      args[0] = [join(root, 'missing.safetensors')];
      culprit = 'no such model file';
    } else {
      args.push(['stray']);
      culprit = "Unexpected argument 'stray'";
    }
  } else {
    const [name, kind] = badOption;
    const bad = r.chance(0.3) && RANGE_BAD[name] ? r.pick(RANGE_BAD[name]!) : r.pick(OWN[name]?.bad ?? VALUES[kind].bad);
    args.push([`--${name}`, bad]);
    culprit = bad === '--' ? '' : `--${name}`;
  }
  // random order of the option groups (positionals stay in front)
  const fixed = command === 'predict' || command === 'evaluate' ? args.splice(0, 2) : [];
  for (let i = args.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [args[i], args[j]] = [args[j]!, args[i]!];
  }
  return { argv: [command, ...fixed.flat(), ...args.flat()], culprit };
}

describe('fuzz: bad command lines exit 2 with one clear line', () => {
  const n = fuzzCases(600);
  it(`${n} seeded command lines (seed ${FUZZ_SEED}): exit 2, one line naming the culprit, no device, nothing written`, { timeout: fuzzTimeout(600_000) }, async () => {
    const r = new Rng(FUZZ_SEED ^ 0xa265);
    const problems: string[] = [];
    const before = { root: listing(root), cwd: listing(join(process.cwd(), 'runs')), cwdRuns: existsSync(join(process.cwd(), 'runs')) };
    let ran = 0;
    for (let i = 0; i < n && problems.length < 20; i++, ran++) {
      const { argv, culprit } = genCase(r);
      const io = { out: '', err: '', isTTY: false, stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
      const device = sentinel();
      setDevice(device.device);
      let code: number;
      try {
        code = await main(argv, io);
      } catch (e) {
        problems.push(`${JSON.stringify(argv)}: main threw ${(e as Error).message}`);
        continue;
      } finally {
        setDevice(null);
      }
      const where = `${JSON.stringify(argv).slice(0, 200)}`;
      if (code !== 2) problems.push(`${where}: exit ${code}: ${io.err.trim()}`);
      else if (!/^alexnet( \S+)?: [^\n]+\nRun 'alexnet help' for usage\.\n$/.test(io.err)) problems.push(`${where}: stderr ${JSON.stringify(io.err.slice(0, 300))}`);
      else if (culprit && !io.err.includes(culprit)) problems.push(`${where}: the message does not name ${culprit}: ${io.err.split('\n')[0]}`);
      if (io.out !== '') problems.push(`${where}: printed on stdout: ${io.out.slice(0, 100)}`);
      if (!device.destroyed()) problems.push(`${where}: created a device before the arguments were checked`);
      else if (device.used()) problems.push(`${where}: used the device before the arguments were checked`);
      if (existsSync(OUT)) {
        problems.push(`${where}: wrote its run folder ${OUT}`);
        rmSync(OUT, { recursive: true, force: true });
      }
    }
    reportFuzzCases('cli-args', ran);
    if (ran < n) problems.push(`stopped after ${ran} of ${n} cases: 20 problems`);
    console.log(`cli-args fuzz: ${ran} cases (seed ${FUZZ_SEED})`);
    // nothing written anywhere: not in the test's folders, not a runs/ folder where the tests run
    expect(listing(root), 'files written into the fuzz folder').toEqual(before.root);
    expect(existsSync(join(process.cwd(), 'runs'))).toBe(before.cwdRuns);
    expect(listing(join(process.cwd(), 'runs'))).toEqual(before.cwd);
    expect(problems, replay('test/robustness/cli-args.fuzz.test.ts')).toEqual([]);
  });
});

describe("each preset's smallest input size is checked before any work", () => {
  for (const [command, preset, size, smallest] of [
    ['train', 'keras-bn', '30', 67],
    ['train', 'torchvision', '62', 63],
    ['summary', 'paper', '66', 67],
    ['profile', 'torchvision', '62', 63],
    ['tune', 'keras-bn', '66', 67],
  ] as const) {
    it(`${command} --model ${preset} --input-size ${size}: exit 2, names the flag and the smallest size`, async () => {
      const io = { out: '', err: '', isTTY: false, stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
      const argv = [command, ...(command === 'train' ? ['--data', set.train] : []), '--model', preset, '--input-size', size];
      const device = sentinel();
      setDevice(device.device);
      try {
        expect(await main(argv, io)).toBe(2);
      } finally {
        setDevice(null);
      }
      expect(io.err).toContain(`alexnet ${command}: --input-size ${size} is too small for the '${preset}' preset: its smallest input is ${smallest}`);
      expect(io.out).toBe('');
      expect(device.destroyed(), 'no device created').toBe(true);
      expect(device.used(), 'the device not used').toBe(false);
    });
  }
});

describe('predict reads every image before the model', () => {
  it('an undecodable image: exit 3 naming it, before the model file is even read', async () => {
    const bad = join(root, 'bad.jpg');
    writeFileSync(bad, 'not a JPEG');
    const io = { out: '', err: '', isTTY: false, stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
    expect(await main(['predict', MODEL, set.testFiles[0]!.file, bad], io)).toBe(3);
    expect(io.err).toBe(`alexnet predict: error: ${bad}: not an image this loader reads (neither JPEG nor PNG)\n`);
    expect(io.out).toBe('');
  });
});

describe('train --out that is not a folder', () => {
  it('exit 2 before any work', async () => {
    const io = { out: '', err: '', isTTY: false, stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
    expect(await main(['train', '--data', set.train, '--out', MODEL], io)).toBe(2);
    expect(io.err).toContain(`alexnet train: --out ${MODEL}: not a folder`);
    expect(io.out).toBe('');
  });
});
