#!/usr/bin/env node
// Times the stage models of a split (DIR with pipeline.json and stage_*.onnx, written by
// `pipecut split` / `solve --export-onnx`) in ONNX Runtime on the CPU, one intra- and inter-op
// thread per session:
//   - each stage alone, on the tensors it receives when seeded random model inputs are pushed
//     through the earlier stages: run time over --runs runs after --warmup, and the time to copy
//     the tensors it receives and sends (into buffers reused from run to run);
//   - with --pipelined, one worker thread per stage (its own session, pinned to its own core),
//     connected by bounded queues (pools of buffers: each tensor is copied once into a pooled
//     buffer, which is transferred, and returned when the receiver has run), streaming
//     --microbatches microbatches: steady-state throughput and each stage's busy fraction.
// Prints one JSON document on stdout (the measurements `pipecut bench` merges with the
// predictions into pipecut.bench, docs/formats.md). Errors: one line on stderr starting
// "bench_pipeline: error: " and exit 2. `pipecut bench` runs this; see tools/README.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {performance} from 'node:perf_hooks';
import {Worker, MessageChannel, isMainThread, parentPort, workerData} from 'node:worker_threads';
import {createRequire} from 'node:module';
import ort from 'onnxruntime-node';
import {makeRandom, randomTensor, parseArgs, positiveInteger} from './ort_inputs.mjs';

const USAGE = `usage: node tools/bench_pipeline.mjs DIR [--runs N] [--warmup N] [--pipelined]
       [--microbatches M] [--seed S] [--optimizations on|off] [--pin on|off]
  DIR             folder written by pipecut split / solve --export-onnx
  --runs          timed runs of each stage alone (default 30)
  --warmup        untimed runs before them (default 5); with --pipelined also the microbatches
                  left out of the steady state (at least the number of stages)
  --pipelined     also run the stages as a pipeline, one worker thread per stage
  --microbatches  microbatches streamed through the pipeline (default 64)
  --seed          seed of the random model inputs (default 1)
  --optimizations ONNX Runtime graph optimisations: on (all, as deployed; default) or off
  --pin           pin each pipeline worker to its own core with taskset (default on)`;

class UsageError extends Error {}

function fail(message, code = 2) {
  console.error(`bench_pipeline: error: ${String(message).split("\n")[0]}`);
  process.exit(code);
}

// Wall-clock milliseconds on a clock shared by all threads of the process.
function now() {
  return performance.timeOrigin + performance.now();
}

function sessionOptions(optimizations) {
  return {intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
          graphOptimizationLevel: optimizations === 'on' ? 'all' : 'disabled'};
}

async function loadSession(dir, stage, optimizations) {
  const file = path.join(dir, stage.file);
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file (listed in pipeline.json)`);
  try {
    return await ort.InferenceSession.create(file, sessionOptions(optimizations));
  } catch (e) {
    throw new UsageError(`${file}: ONNX Runtime cannot load it: ${String(e.message ?? e).split('\n')[0]}`);
  }
}

function readManifest(dir) {
  const file = path.join(dir, 'pipeline.json');
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${dir}: not a folder`);
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${e.message}); is ${dir} a folder written by pipecut split?`);
  }
  if (manifest?.format !== 'pipecut.pipeline' || manifest.version !== 1 || !Array.isArray(manifest.stages) ||
      !Array.isArray(manifest.inputs) || manifest.stages.length === 0)
    throw new UsageError(`${file}: not a pipecut.pipeline v1 manifest with stages`);
  return manifest;
}

// The model inputs, seeded as in run_pipeline.mjs, so every stage (and every worker) sees the
// same values.
function modelInputs(manifest, seed) {
  const random = makeRandom(seed);
  const feeds = {};
  for (const input of manifest.inputs) feeds[input.name] = randomTensor(input.dtype, input.shape, random);
  return feeds;
}

function tensorBytes(t) {
  return t.data.byteLength ?? 0;
}

function quantile(sorted, q) {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

// Median, spread (10th and 90th percentiles, median absolute deviation), mean, min, max.
function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const median = quantile(s, 0.5);
  const deviations = s.map((x) => Math.abs(x - median)).sort((a, b) => a - b);
  return {median, p10: quantile(s, 0.1), p90: quantile(s, 0.9), mad: quantile(deviations, 0.5),
          mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), min: s[0] ?? 0,
          max: s[s.length - 1] ?? 0};
}

// A buffer to copy `data` into: of the same typed-array type and length (a plain copy for the
// non-numeric string tensors).
function bufferFor(data) {
  return ArrayBuffer.isView(data) ? new data.constructor(data.length) : null;
}

// Copies `data` into `buffer` (from bufferFor): what a pipeline does with a tensor it moves to
// another core. Buffers are reused from run to run, as a pipeline runtime's pool would be:
// allocating fresh memory for every copy measured page faults instead (on this virtual machine
// tens of µs per 4 KiB page, and only for some sizes; docs/cost-model.md).
function copyInto(buffer, data) {
  if (buffer === null) return structuredClone(data);
  buffer.set(data);
  return buffer;
}

// The milliseconds it takes to copy the data of `tensors` into `buffers`.
function copyTime(tensors, buffers) {
  if (tensors.length === 0) return 0;
  const t0 = performance.now();
  tensors.forEach((t, i) => copyInto(buffers[i], t.data));
  return performance.now() - t0;
}

// ---- each stage alone ---------------------------------------------------------------------

async function timeStages(dir, manifest, options) {
  const values = modelInputs(manifest, options.seed);
  const results = [];
  for (const stage of manifest.stages) {
    const loadStart = performance.now();
    const session = await loadSession(dir, stage, options.optimizations);
    const loadMs = performance.now() - loadStart;
    const feeds = {};
    for (const input of stage.inputs) {
      if (!(input.name in values))
        throw new UsageError(`${path.join(dir, stage.file)}: input '${input.name}' is produced by no earlier stage`);
      feeds[input.name] = values[input.name];
    }
    let produced;
    try {
      produced = await session.run(feeds);
    } catch (e) {
      throw new UsageError(`${path.join(dir, stage.file)}: ONNX Runtime cannot run it: ${String(e.message ?? e).split('\n')[0]}`);
    }
    for (const output of stage.outputs) {
      if (!(output.name in produced))
        throw new UsageError(`${path.join(dir, stage.file)}: output '${output.name}' missing`);
      values[output.name] = produced[output.name];
    }
    for (let i = 1; i < options.warmup; ++i) await session.run(feeds);
    const received = stage.inputs.filter((t) => t.from !== 'input').map((t) => feeds[t.name]);
    const sent = stage.outputs.filter((t) => (t.to ?? []).length > 0).map((t) => produced[t.name]);
    const runMs = [];
    const copyIn = [];
    const copyOut = [];
    const buffersIn = received.map((t) => bufferFor(t.data));
    const buffersOut = sent.map((t) => bufferFor(t.data));
    copyTime(received, buffersIn);  // first touch of the buffers' pages, untimed
    copyTime(sent, buffersOut);
    for (let r = 0; r < options.runs; ++r) {
      const t0 = performance.now();
      await session.run(feeds);
      runMs.push(performance.now() - t0);
      copyIn.push(copyTime(received, buffersIn));
      copyOut.push(copyTime(sent, buffersOut));
    }
    await session.release();
    results.push({
      stage: stage.stage, file: stage.file, load_ms: loadMs, run_ms: summary(runMs),
      copy_in_ms: summary(copyIn).median, copy_out_ms: summary(copyOut).median,
      bytes_in: received.reduce((a, t) => a + tensorBytes(t), 0),
      bytes_out: sent.reduce((a, t) => a + tensorBytes(t), 0),
      tensors_in: received.length, tensors_out: sent.length,
    });
  }
  return results;
}

// ---- the pipeline -------------------------------------------------------------------------

// CPUs this process may run on (its affinity), from /proc; null when unknown.
function allowedCpus() {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const line = status.split('\n').find((l) => l.startsWith('Cpus_allowed_list:'));
    if (!line) return null;
    const cpus = [];
    for (const part of line.split(':')[1].trim().split(',')) {
      const [a, b] = part.split('-').map(Number);
      for (let c = a; c <= (b ?? a); ++c) cpus.push(c);
    }
    return cpus;
  } catch {
    return null;
  }
}

function pinThisThread(cpu) {
  // /proc/thread-self names the calling thread; synchronous fs calls run on it. ONNX Runtime
  // runs a session with one intra-op thread on the thread calling run(), so pinning this thread
  // pins the stage's compute.
  const tid = fs.readlinkSync('/proc/thread-self').split('/').pop();
  execFileSync('taskset', ['-pc', String(cpu), tid], {stdio: 'ignore'});
}

async function runPipeline(dir, manifest, options) {
  const n = manifest.stages.length;
  const cpus = allowedCpus() ?? Array.from({length: os.availableParallelism()}, (_, i) => i);
  if (n > cpus.length)
    throw new UsageError(`${path.join(dir, 'pipeline.json')}: ${n} stages need ${n} cores for a pipelined run, this process may use ${cpus.length}`);
  // One channel per (sender, receiver) pair that passes tensors, as in the cost model: a tensor
  // read by several later stages goes straight to each of them, never through stages between.
  const channels = [];
  const position = new Map(manifest.stages.map((s, i) => [s.stage, i]));
  for (let r = 0; r < n; ++r) {
    const senders = new Map();
    for (const input of manifest.stages[r].inputs) {
      if (input.from === 'input') continue;
      const s = position.get(input.from);
      if (s === undefined || s >= r)
        throw new UsageError(`${path.join(dir, 'pipeline.json')}: stage ${manifest.stages[r].stage} receives '${input.name}' from stage ${input.from}, which is not an earlier stage`);
      if (!senders.has(s)) senders.set(s, []);
      senders.get(s).push(input.name);
    }
    for (const [s, names] of senders) {
      const {port1, port2} = new MessageChannel();
      // A skip over d stages needs room for the d microbatches in flight between its ends.
      channels.push({from: s, to: r, names, sendPort: port1, receivePort: port2, capacity: 2 + (r - s)});
    }
  }
  const workers = [];
  const ready = [];
  const finished = [];
  const done = [];
  for (let i = 0; i < n; ++i) {
    const outs = channels.filter((c) => c.from === i);
    const ins = channels.filter((c) => c.to === i);
    const data = {
      dir, manifest, stageIndex: i, seed: options.seed, optimizations: options.optimizations,
      microbatches: options.microbatches, cpu: options.pin ? cpus[i] : null, last: i === n - 1,
      outs: outs.map((c) => ({to: c.to, names: c.names, port: c.sendPort, capacity: c.capacity})),
      ins: ins.map((c) => ({from: c.from, port: c.receivePort})),
    };
    const transfer = [...outs.map((c) => c.sendPort), ...ins.map((c) => c.receivePort)];
    const worker = new Worker(new URL(import.meta.url), {workerData: data, transferList: transfer});
    workers.push(worker);
    ready.push(new Promise((resolve, reject) => {
      worker.on('message', (m) => {
        if (m.kind === 'ready') resolve(m);
        else if (m.kind === 'done') done.push(m.t);
        else if (m.kind === 'finished') finished[i] = m;
        else if (m.kind === 'error') reject(new UsageError(m.message));
      });
      worker.on('error', (e) => reject(e));
    }));
  }
  const readyInfo = await Promise.all(ready);
  const ended = workers.map((w, i) => new Promise((resolve, reject) => {
    w.on('exit', (code) => (code === 0 && finished[i] ? resolve() : reject(new Error(`stage worker ${i} exited with code ${code}`))));
  }));
  for (const w of workers) w.postMessage({kind: 'start'});
  await Promise.all(ended);

  // Steady state: from the completion of microbatch `skip` to that of the last one.
  const m = options.microbatches;
  const skip = Math.min(Math.max(options.warmup, n), m - 2);
  const windowStart = done[skip];
  const windowEnd = done[m - 1];
  const windowMs = windowEnd - windowStart;
  const stages = finished.map((f, i) => {
    // Each stage over its own steady state: an early stage finishes its last microbatches while
    // the later ones still work on theirs, which is the stream ending, not idling.
    const start = f.done[skip];
    const end = f.done[m - 1];
    let busy = 0;
    for (const [a, b] of f.busy) busy += Math.max(0, Math.min(b, end) - Math.max(a, start));
    return {stage: manifest.stages[i].stage, busy_fraction: end > start ? Math.min(1, busy / (end - start)) : 0,
            run_ms: summary(f.runMs.slice(skip)), cpu: readyInfo[i].cpu, pinned: readyInfo[i].pinned};
  });
  return {
    microbatches: m, steady_microbatches: m - 1 - skip, skipped_microbatches: skip,
    window_ms: windowMs, throughput_per_s: windowMs > 0 ? (1000 * (m - 1 - skip)) / windowMs : 0,
    period_ms: windowMs / (m - 1 - skip), pinned: stages.every((s) => s.pinned), stages,
    channels: channels.map((c) => ({from: manifest.stages[c.from].stage, to: manifest.stages[c.to].stage,
                                    tensors: c.names.length, capacity: c.capacity})),
  };
}

// A queue of messages on one port, awaited in order.
class Inbox {
  constructor(port) {
    this.queue = [];
    this.waiter = null;
    port.on('message', (m) => {
      this.queue.push(m);
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w();
      }
    });
  }
  async take() {
    while (this.queue.length === 0) await new Promise((resolve) => (this.waiter = resolve));
    return this.queue.shift();
  }
}

// The sending end of one channel: a pool of `capacity` sets of buffers (one per tensor it
// sends). A microbatch's tensors are copied into a free set, whose buffers are transferred (not
// copied again) to the receiver; the receiver sends them back once its stage has run, which is
// the credit that bounds the queue.
class Sender {
  constructor(port, capacity) {
    this.port = port;
    this.free = Array.from({length: capacity}, () => null);  // null: not allocated yet
    this.waiter = null;
    port.on('message', (buffers) => {
      this.free.push(buffers);
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w();
      }
    });
  }
  async acquire() {
    while (this.free.length === 0) await new Promise((resolve) => (this.waiter = resolve));
    return this.free.shift();
  }
}

async function stageWorker() {
  const {dir, manifest, stageIndex, seed, optimizations, microbatches, cpu, last, outs, ins} = workerData;
  const stage = manifest.stages[stageIndex];
  let pinned = false;
  try {
    const session = await loadSession(dir, stage, optimizations);
    if (cpu !== null) {
      try {
        pinThisThread(cpu);
        pinned = true;
      } catch (e) {
        console.error(`bench_pipeline: warning: cannot pin stage ${stage.stage} to CPU ${cpu} (${e.message.split('\n')[0]})`);
      }
    }
    const local = modelInputs(manifest, seed);
    const inboxes = ins.map((c) => ({port: c.port, inbox: new Inbox(c.port)}));
    const senders = outs.map((c) => ({...c, pool: new Sender(c.port, c.capacity)}));
    parentPort.postMessage({kind: 'ready', cpu, pinned});
    await new Promise((resolve) => parentPort.once('message', resolve));
    const busy = [];
    const runMs = [];
    const done = [];
    for (let mb = 0; mb < microbatches; ++mb) {
      const feeds = {};
      for (const input of stage.inputs) if (input.from === 'input') feeds[input.name] = local[input.name];
      const received = [];
      for (const {port, inbox} of inboxes) {
        const message = await inbox.take();
        received.push([port, message.tensors.map((t) => t.data)]);
        for (const t of message.tensors) feeds[t.name] = new ort.Tensor(t.type, t.data, t.dims);
      }
      let t0 = now();
      const produced = await session.run(feeds);
      const t1 = now();
      runMs.push(t1 - t0);
      // The stage has read its inputs: their buffers go back to their senders (the credit).
      for (const [port, buffers] of received)
        port.postMessage(buffers, buffers.filter((b) => ArrayBuffer.isView(b)).map((b) => b.buffer));
      for (const s of senders) {
        const waitStart = now();
        let buffers = await s.pool.acquire();
        const waited = now();
        if (waited - waitStart > 0.001) {  // blocked on a full queue: not busy meanwhile
          busy.push([t0, waitStart]);
          t0 = waited;
        }
        if (buffers === null) buffers = s.names.map((name) => bufferFor(produced[name].data));
        const tensors = s.names.map((name, i) => {
          const t = produced[name];
          return {name, type: t.type, dims: t.dims, data: copyInto(buffers[i], t.data)};
        });
        s.port.postMessage({mb, tensors},
                           tensors.filter((t) => ArrayBuffer.isView(t.data)).map((t) => t.data.buffer));
      }
      const t2 = now();
      busy.push([t0, t2]);
      done.push(t2);
      if (last) parentPort.postMessage({kind: 'done', mb, t: t2});
    }
    await session.release();
    parentPort.postMessage({kind: 'finished', busy, runMs, done});
    for (const {port} of inboxes) port.close();
    for (const s of senders) s.port.close();
  } catch (e) {
    parentPort.postMessage({kind: 'error', message: String(e.message ?? e).split('\n')[0]});
  }
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2).filter((a) => a !== '--pipelined'), {
      '--runs': 'runs', '--warmup': 'warmup', '--microbatches': 'microbatches', '--seed': 'seed',
      '--optimizations': 'optimizations', '--pin': 'pin'});
  } catch (e) {
    fail(`${e.message}\n${USAGE}`);
  }
  if (args.options.help) {
    console.log(USAGE);
    return;
  }
  if (args.positional.length !== 1) fail(USAGE.split('\n')[0]);
  const [dir] = args.positional;
  let options;
  try {
    options = {
      runs: positiveInteger(args.options.runs ?? '30', '--runs'),
      warmup: positiveInteger(args.options.warmup ?? '5', '--warmup'),
      microbatches: positiveInteger(args.options.microbatches ?? '64', '--microbatches'),
      seed: positiveInteger(args.options.seed ?? '1', '--seed'),
      optimizations: args.options.optimizations ?? 'on',
      pin: (args.options.pin ?? 'on') === 'on',
      pipelined: process.argv.includes('--pipelined'),
    };
  } catch (e) {
    fail(e.message);
  }
  if (options.runs < 1) fail('--runs must be at least 1');
  if (options.microbatches < 3) fail('--microbatches must be at least 3');
  if (!['on', 'off'].includes(options.optimizations)) fail('--optimizations must be on or off');
  if (!['on', 'off'].includes(args.options.pin ?? 'on')) fail('--pin must be on or off');
  options.warmup = Math.max(1, options.warmup);

  const manifest = readManifest(dir);
  const require = createRequire(import.meta.url);
  const result = {
    tool: 'bench_pipeline.mjs',
    onnxruntime: require('onnxruntime-node/package.json').version,
    node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', cores: allowedCpus()?.length ?? os.availableParallelism(),
    threads: 1, optimizations: options.optimizations, runs: options.runs, warmup: options.warmup,
    seed: options.seed,
    stages: await timeStages(dir, manifest, options),
  };
  if (options.pipelined) result.pipelined = await runPipeline(dir, manifest, options);
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (isMainThread) {
  main().then(() => process.exit(0), (e) => (e instanceof UsageError ? fail(e.message) : fail(`internal error: ${e.message ?? e}`, 3)));
} else {
  stageWorker();
}
