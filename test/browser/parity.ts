// Three SGD steps of the small demo model on fixed inputs, as source text: the browser tests run
// it in the page (on window.alexnet) and in Node (on the core module) and compare the losses.
// Plain JavaScript in a string, so no bundler helper ends up in the page.
export const PARITY_STEPS = `async (lib) => {
  const { alexnet, SGD, compile, fit } = lib;
  const size = 67;
  const model = alexnet({ preset: 'keras-bn', numClasses: 2, inputSize: size, width: 0.25, seed: 1 });
  const n = 4;
  const x = new Float32Array(n * 3 * size * size);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = (s >>> 8) / 16777216;
  }
  const y = new Int32Array([0, 1, 1, 0]);
  const optimizer = new SGD(model.namedParameters(), { lr: 0.01, momentum: 0.9 });
  compile(model, { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const h = await fit(model, { x, y, sampleShape: [3, size, size] }, { epochs: 3, batchSize: n, verbose: 0, seed: 5 });
  model.dispose();
  return h.history.loss;
}`;
