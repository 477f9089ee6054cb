#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// The `alexnet` command. Everything is in ../cli.ts (`main` is callable in-process too); this
// file runs it in a child whose stderr is relayed without Dawn's known-harmless warnings
// (../driver-chatter.ts; WEBGPU_ALEXNET_DRIVER_LOG=1 runs it here, warnings and all).

import { fileURLToPath } from 'node:url';
import { dieWithParent, relayWithoutChatter, shouldRelay } from '../driver-chatter.js';

if (shouldRelay()) {
  relayWithoutChatter(fileURLToPath(import.meta.url));
} else {
  dieWithParent();
  const { main } = await import('../cli.js');
  process.exitCode = await main(process.argv.slice(2));
}
