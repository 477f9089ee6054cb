// SPDX-License-Identifier: MIT
// Scopes: `tidy(fn)` frees every tensor created inside fn except what it returns and what
// `keep()` marks, like tf.tidy. Every new tensor registers itself with the innermost open
// scope (`track`, called by the Tensor constructor); `dispose()` unregisters it. This file
// needs nothing of a tensor but `dispose()`, so it imports nothing from tensor.ts.

/** What a scope holds: a tensor, seen only through its dispose(). */
export interface Scoped {
  dispose(): void;
}

const scopes: Set<Scoped>[] = [];

/** Adds a new tensor to the innermost open scope (the Tensor constructor calls it). */
export function track(t: Scoped): void {
  const s = scopes[scopes.length - 1];
  if (s) s.add(t);
}

/** Removes a tensor from the scope that holds it (dispose and keep call it). */
export function untrack(t: Scoped): void {
  for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.delete(t)) return;
}

/** Removes a tensor from every open scope so `tidy` will not free it. */
export function keep<T extends Scoped | null | undefined>(t: T): T {
  if (t) untrack(t);
  return t;
}

/**
 * The tensors of `scope` that `v` returns: v itself, or in an array or a plain object (four
 * levels deep). A tensor is never looked into (its prototype is not Object's).
 */
function collect(v: unknown, scope: Set<Scoped>, out: Set<Scoped>, depth = 0): void {
  if (depth > 4 || v === null || typeof v !== 'object') return;
  if (scope.has(v as Scoped)) {
    out.add(v as Scoped);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collect(x, scope, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, scope, out, depth + 1);
}

function closeScope(scope: Set<Scoped>, result: unknown): void {
  const idx = scopes.lastIndexOf(scope);
  if (idx >= 0) scopes.splice(idx, 1);
  const kept = new Set<Scoped>();
  collect(result, scope, kept);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else t.dispose();
  }
}

/**
 * Runs fn and frees every tensor it created, except those it returns (in a tensor, an array
 * or a plain object) and those passed to `keep()`. Like tf.tidy. fn may be async; scopes
 * nest, but two async scopes must not run interleaved.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Scoped>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(scope, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (r) => {
        closeScope(scope, r);
        return r;
      },
      (e) => {
        closeScope(scope, undefined);
        throw e;
      },
    ) as T;
  }
  closeScope(scope, result);
  return result;
}
