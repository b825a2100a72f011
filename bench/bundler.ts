/** The workflow bundler's logger for the benchmarks: its warnings and errors only. */
export const QUIET_BUNDLER = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };
