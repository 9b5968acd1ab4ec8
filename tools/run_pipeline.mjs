#!/usr/bin/env node
// Runs a model split by `pipecut split` (DIR with pipeline.json and stage_*.onnx) against the
// source model in ONNX Runtime (CPU) on the same seeded random inputs, and prints, per model
// output, the largest absolute difference and the largest difference relative to the output's
// largest magnitude. Exit code: 0 when every output matches within the tolerance, 1 when one
// does not, 2 for bad usage or input. See tools/README.md.
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import {makeRandom, randomTensor, parseArgs, positiveInteger} from './ort_inputs.mjs';

const USAGE = `usage: node tools/run_pipeline.mjs DIR MODEL.onnx [--seed S] [--tolerance T] [--threads N]
  DIR        folder written by pipecut split / solve --export-onnx (pipeline.json, stage_*.onnx)
  MODEL      the source ONNX model
  --seed     seed of the random inputs (default 1)
  --tolerance  largest allowed relative difference (default 1e-4)
  --threads  ONNX Runtime intra-op threads (default 1)`;

function fail(message, code = 2) {
  console.error(`run_pipeline: ${message}`);
  process.exit(code);
}

function toNumbers(tensor) {
  const data = tensor.data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, Number);
  return data;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), {'--seed': 'seed', '--tolerance': 'tolerance', '--threads': 'threads'});
  } catch (e) {
    fail(`${e.message}\n${USAGE}`);
  }
  if (args.options.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.positional.length !== 2) fail(USAGE);
  const [dir, modelPath] = args.positional;
  const seed = positiveInteger(args.options.seed ?? '1', '--seed');
  const tolerance = Number(args.options.tolerance ?? '1e-4');
  if (!(tolerance >= 0)) fail('--tolerance must be a number >= 0');
  const threads = positiveInteger(args.options.threads ?? '1', '--threads');

  const manifestPath = path.join(dir, 'pipeline.json');
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    fail(`${manifestPath}: cannot read (${e.message})`);
  }
  if (manifest.format !== 'pipecut.pipeline' || manifest.version !== 1)
    fail(`${manifestPath}: not a pipecut.pipeline v1 manifest`);
  if (!fs.existsSync(modelPath)) fail(`${modelPath}: no such file`);

  const sessionOptions = {intraOpNumThreads: threads, interOpNumThreads: 1};
  const random = makeRandom(seed);
  const feeds = {};
  for (const input of manifest.inputs) feeds[input.name] = randomTensor(input.dtype, input.shape, random);

  const source = await ort.InferenceSession.create(modelPath, sessionOptions);
  const sourceFeeds = Object.fromEntries(source.inputNames.map((n) => {
    if (!feeds[n]) fail(`${modelPath}: input '${n}' is not in ${manifestPath}`);
    return [n, feeds[n]];
  }));
  const expected = await source.run(sourceFeeds);

  // The pipeline: every stage reads model inputs and earlier stages' outputs by name.
  const values = {...feeds};
  for (const stage of manifest.stages) {
    const file = path.join(dir, stage.file);
    const session = await ort.InferenceSession.create(file, sessionOptions);
    const stageFeeds = {};
    for (const input of stage.inputs) {
      if (!(input.name in values)) fail(`${file}: input '${input.name}' was not produced by an earlier stage`, 1);
      stageFeeds[input.name] = values[input.name];
    }
    const produced = await session.run(stageFeeds);
    for (const output of stage.outputs) {
      if (!(output.name in produced)) fail(`${file}: output '${output.name}' missing`, 1);
      values[output.name] = produced[output.name];
    }
  }

  let worst = 0;
  let ok = true;
  for (const output of manifest.outputs) {
    const want = expected[output.name];
    const got = values[output.name];
    if (!got) {
      console.log(`${output.name}: not produced by any stage`);
      ok = false;
      continue;
    }
    if (JSON.stringify(want.dims) !== JSON.stringify(got.dims) || want.type !== got.type) {
      console.log(`${output.name}: shape/type ${got.type}[${got.dims}] differs from the source's ${want.type}[${want.dims}]`);
      ok = false;
      continue;
    }
    const a = toNumbers(want);
    const b = toNumbers(got);
    let maxAbs = 0;
    let scale = 0;
    for (let i = 0; i < a.length; ++i) {
      const x = Number(a[i]);
      const y = Number(b[i]);
      const d = Number.isNaN(x) && Number.isNaN(y) ? 0 : Math.abs(x - y);
      maxAbs = Number.isNaN(d) || d > maxAbs ? (Number.isNaN(d) ? Infinity : d) : maxAbs;
      scale = Math.max(scale, Math.abs(x));
    }
    const rel = scale > 0 ? maxAbs / scale : maxAbs;
    worst = Math.max(worst, rel);
    if (!(rel <= tolerance)) ok = false;
    console.log(`${output.name}: max abs diff ${maxAbs.toExponential(3)}, max rel diff ${rel.toExponential(3)} (${a.length} values)`);
  }
  console.log(`${manifest.stages.length} stages vs ${path.basename(modelPath)}: ${ok ? 'match' : 'MISMATCH'} (largest relative difference ${worst.toExponential(3)}, tolerance ${tolerance})`);
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => fail(String(e.message ?? e).split('\n')[0]));
