/**
 * Progress of long CLI operations (waiting for a run, resetting): an `ora` spinner on a terminal,
 * plain lines otherwise (pipes, CI, tests). Both go to stderr, so stdout carries only the
 * command's result (and exactly one JSON document with `--json`).
 */
import type { Ora } from 'ora';

/** A running progress indicator. */
export interface Progress {
  /** Changes what is going on. */
  update(text: string): void;
  /** Ends with success, printing `text` (or the last text). */
  succeed(text?: string): void;
  /** Ends with failure, printing `text` (or the last text). */
  fail(text?: string): void;
  /** Ends without a final line. */
  stop(): void;
}

function plainProgress(stream: NodeJS.WritableStream, first: string): Progress {
  let last = first;
  const line = (mark: string, text: string) => stream.write(`${mark} ${text}\n`);
  line('…', first);
  return {
    update(text) {
      if (text !== last) line('…', text);
      last = text;
    },
    succeed: (text) => line('✔', text ?? last),
    fail: (text) => line('✖', text ?? last),
    stop: () => undefined,
  };
}

function spinnerProgress(spinner: Ora): Progress {
  return {
    update(text) {
      spinner.text = text;
    },
    succeed: (text) => spinner.succeed(text),
    fail: (text) => spinner.fail(text),
    stop: () => spinner.stop(),
  };
}

/**
 * Starts progress on `stream` (stderr by default): a spinner when it is a terminal, plain lines
 * when it is not.
 */
export async function startProgress(text: string, stream: NodeJS.WriteStream = process.stderr): Promise<Progress> {
  // A terminal that reports no width (some pseudo-terminals) would make the spinner redraw badly.
  if (!stream.isTTY || !(stream.columns > 0)) return plainProgress(stream, text);
  // ora is an ES module; loaded only when a terminal will show it.
  const { default: ora } = await import('ora');
  return spinnerProgress(ora({ text, stream, discardStdin: false }).start());
}

/** Runs `work` with progress, ending it as succeeded or failed. */
export async function withProgress<T>(
  text: string,
  work: (progress: Progress) => Promise<T>,
  done: (value: T) => { ok: boolean; text: string } = () => ({ ok: true, text }),
): Promise<T> {
  const progress = await startProgress(text);
  let value: T;
  try {
    value = await work(progress);
  } catch (err) {
    progress.fail();
    throw err;
  }
  const end = done(value);
  if (end.ok) progress.succeed(end.text);
  else progress.fail(end.text);
  return value;
}
