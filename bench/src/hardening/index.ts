/** The fuzzer and the soak (SPEC.md, F1–F12), for the CLIs and the suite. */
export { runFuzz, type FuzzOptions, type FuzzReport, type AttackerCounts } from './run-fuzz.js';
export { runSoak, type SoakOptions, type SoakReport, type SoakSample } from './run-soak.js';
export { renderFuzzReport, renderSoakReport } from './fuzz-soak-report.js';
export { Ledger, classifyReply, type Violation, type ViolationKind } from './ledger.js';
export { Rng } from './rng.js';
