// SPDX-License-Identifier: MIT
// The Kernel lab (placeholder until the conv2d version listing lands).
export interface LabTab {}
export function setupLab(): LabTab {
  return {};
}
