#!/usr/bin/env node
// Profiles a model on this machine's CPU with ONNX Runtime and writes the profiler's JSON trace
// (the input of `pipecut … --profile FILE`). See tools/README.md and docs/cost-model.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import {makeRandom, randomTensor, parseArgs, positiveInteger} from './ort_inputs.mjs';

const USAGE = `usage: node tools/profile_onnx.mjs MODEL.onnx -o PROFILE.json [--runs N] [--optimizations on|off] [--threads N] [--seed S]
  --runs           inference runs recorded, warm-up included (default 10; pipecut skips
                   the first --profile-warmup of them, default 1)
  --optimizations  on: ONNX Runtime's full graph optimisations (fused kernels, as deployed;
                   the default); off: every operator runs as its own kernel
  --threads        intra-op threads (default 1)
  --seed           seed of the random inputs (default 1)`;

function fail(message) {
  console.error(`profile_onnx: ${message}`);
  process.exit(2);
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), {'-o': 'output', '--output': 'output', '--runs': 'runs',
      '--optimizations': 'optimizations', '--threads': 'threads', '--seed': 'seed'});
  } catch (e) {
    fail(`${e.message}\n${USAGE}`);
  }
  if (args.options.help) {
    console.log(USAGE);
    return;
  }
  if (args.positional.length !== 1 || !args.options.output) fail(USAGE);
  const [modelPath] = args.positional;
  const output = args.options.output;
  const runs = positiveInteger(args.options.runs ?? '10', '--runs');
  if (runs < 1) fail('--runs must be at least 1');
  const optimizations = args.options.optimizations ?? 'on';
  if (optimizations !== 'on' && optimizations !== 'off') fail('--optimizations must be on or off');
  const threads = positiveInteger(args.options.threads ?? '1', '--threads');
  const seed = positiveInteger(args.options.seed ?? '1', '--seed');
  if (!fs.existsSync(modelPath)) fail(`${modelPath}: no such file`);
  if (path.resolve(output) === path.resolve(modelPath)) fail(`${output}: refusing to overwrite the model`);

  // ONNX Runtime writes <prefix>_<date>.json into a folder of ours; the result is moved to OUTPUT.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipecut-profile-'));
  try {
    const session = await ort.InferenceSession.create(modelPath, {
      enableProfiling: true,
      profileFilePrefix: path.join(workDir, 'trace'),
      graphOptimizationLevel: optimizations === 'on' ? 'all' : 'disabled',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
    const random = makeRandom(seed);
    const feeds = {};
    for (const m of session.inputMetadata) {
      if (!m.isTensor) fail(`${modelPath}: input '${m.name}' is not a tensor`);
      feeds[m.name] = randomTensor(m.type, m.shape, random);
    }
    for (let i = 0; i < runs; ++i) await session.run(feeds);
    session.endProfiling();
    await session.release();
    const traces = fs.readdirSync(workDir).filter((f) => f.endsWith('.json'));
    if (traces.length !== 1) fail('ONNX Runtime wrote no profile');
    const tmp = `${output}.tmp-${process.pid}`;
    fs.copyFileSync(path.join(workDir, traces[0]), tmp);
    fs.renameSync(tmp, output);
    console.log(`wrote ${output}: ${runs} runs of ${path.basename(modelPath)}, optimizations ${optimizations}`);
  } finally {
    fs.rmSync(workDir, {recursive: true, force: true});
  }
}

main().catch((e) => fail(String(e.message ?? e).split('\n')[0]));
