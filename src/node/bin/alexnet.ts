#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// The `alexnet` command. Everything is in ../cli.ts (`main` is callable in-process too).

import { main } from '../cli.js';

process.exitCode = await main(process.argv.slice(2));
