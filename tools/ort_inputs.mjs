// Seeded random input tensors for ONNX Runtime, shared by run_pipeline.mjs and profile_onnx.mjs.
import ort from 'onnxruntime-node';

// A small deterministic generator (32-bit state, Weyl sequence + xorshift-multiply mixing), so
// the same seed gives the same inputs on every machine.
export function makeRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;  // uniform in [0, 1)
  };
}

const FLOATS = {float32: Float32Array, float64: Float64Array};
const INTS = {int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array,
              int32: Int32Array, uint32: Uint32Array};

// One input: floats uniform in [-1, 1), integers uniform in 0..9, booleans fair coins.
// Symbolic or unknown dimensions are 1.
export function randomTensor(dtype, shape, random) {
  const dims = (shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
  const size = dims.reduce((a, b) => a * b, 1);
  if (FLOATS[dtype]) {
    const data = new FLOATS[dtype](size);
    for (let i = 0; i < size; ++i) data[i] = 2 * random() - 1;
    return new ort.Tensor(dtype, data, dims);
  }
  if (INTS[dtype]) {
    const data = new INTS[dtype](size);
    for (let i = 0; i < size; ++i) data[i] = Math.floor(10 * random());
    return new ort.Tensor(dtype, data, dims);
  }
  if (dtype === 'int64' || dtype === 'uint64') {
    const data = dtype === 'int64' ? new BigInt64Array(size) : new BigUint64Array(size);
    for (let i = 0; i < size; ++i) data[i] = BigInt(Math.floor(10 * random()));
    return new ort.Tensor(dtype, data, dims);
  }
  if (dtype === 'bool') {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; ++i) data[i] = random() < 0.5 ? 1 : 0;
    return new ort.Tensor('bool', data, dims);
  }
  throw new Error(`cannot make random inputs of type ${dtype}`);
}

// Parses "--name value" options after the positional arguments; returns {positional, options}.
export function parseArgs(argv, known) {
  const positional = [];
  const options = {};
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      options.help = true;
    } else if (a.startsWith('-')) {
      const name = known[a];
      if (!name) throw new Error(`unknown option ${a}`);
      if (i + 1 >= argv.length) throw new Error(`option ${a} needs a value`);
      options[name] = argv[++i];
    } else {
      positional.push(a);
    }
  }
  return {positional, options};
}

export function positiveInteger(text, what) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what} must be a non-negative integer, got '${text}'`);
  return n;
}
