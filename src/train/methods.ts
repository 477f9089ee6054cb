// SPDX-License-Identifier: MIT
// Keras-style methods on every Module: model.compile(...), await model.fit(...),
// model.evaluate(...), model.predict(...). They call the functions in fit.ts, which remain
// the reference API (and work on any object shaped like a model).

import { Module } from '../layers/module.js';
import type { Tensor } from '../tensor/index.js';
import type { ArrayData } from './array-dataset.js';
import { compile, type CompileOptions, type Compiled } from './compile.js';
import { evaluate, predict, type EvaluateOptions, type EvaluateResult, type PredictOptions } from './evaluate.js';
import { fit, type FitHistory, type FitOptions } from './fit.js';
import type { DataSource } from './model.js';

declare module '../layers/module.js' {
  interface Module {
    /** Sets the optimizer, loss and metrics for fit/evaluate (Keras's model.compile). */
    compile(opts: CompileOptions): Compiled;
    /** Trains for `epochs` over `data`; resolves to the History (Keras's model.fit). */
    fit(data: DataSource | ArrayData, opts?: FitOptions): Promise<FitHistory>;
    /** Loss and metrics over `data` in eval mode. */
    evaluate(data: DataSource | ArrayData, opts?: EvaluateOptions): Promise<EvaluateResult>;
    /** Class probabilities, one array per sample. */
    predict(x: Tensor | Float32Array, opts?: PredictOptions): Promise<Float32Array[]>;
  }
}

Module.prototype.compile = function (this: Module, opts: CompileOptions) {
  return compile(this, opts);
};
Module.prototype.fit = function (this: Module, data: DataSource | ArrayData, opts?: FitOptions) {
  return fit(this, data, opts);
};
Module.prototype.evaluate = function (this: Module, data: DataSource | ArrayData, opts?: EvaluateOptions) {
  return evaluate(this, data, opts);
};
Module.prototype.predict = function (this: Module, x: Tensor | Float32Array, opts?: PredictOptions) {
  return predict(this, x, opts);
};
