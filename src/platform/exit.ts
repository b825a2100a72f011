/**
 * Exiting a command-line process without losing its output. On Linux, Node writes to a pipe
 * asynchronously, and `process.exit()` drops what the pipe has not taken yet: `npm run chaos --
 * --json | jq` received the first 64 KB of a 230 KB report. This exits once both streams have
 * handed everything written before it to the operating system.
 */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const flushed = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}
