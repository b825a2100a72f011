/**
 * The `steadfast init` command line: `steadfast init <dir> [--steadfast <spec>] [--json]`. Parsed
 * here, without the rest of the CLI, so that it runs from a bare package before its dependencies
 * matter. Exit codes: 0 scaffolded, 2 bad usage or a non-empty target folder.
 */
import { InitError, initProject, nextSteps } from './init';

/** Where the command writes. */
export interface InitIo {
  out(text: string): void;
  err(text: string): void;
}

const USAGE = 'usage: steadfast init <dir> [--steadfast <npm spec>] [--json]';

function usageError(io: InitIo, json: boolean, field: string, message: string): number {
  if (json) io.out(JSON.stringify({ error: { code: 'bad-usage', field, message } }, null, 2));
  else io.err(`error: ${message}\n${USAGE}`);
  return 2;
}

/** Runs `steadfast init` with the arguments after `init`; returns the exit code. */
export function initMain(args: string[], io: InitIo): number {
  const json = args.includes('--json');
  if (args.includes('--help') || args.includes('-h')) {
    io.out(`${USAGE}\n\nScaffolds a Steadfast project in <dir> (new or empty): workflows/ activities/ workers/ client/ test/.\n` +
      '--steadfast <spec>  how the project depends on Steadfast (default: this version), e.g. file:../steadfast-0.1.0.tgz');
    return 0;
  }
  const positional: string[] = [];
  let steadfast: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--json') continue;
    if (arg === '--steadfast' || arg.startsWith('--steadfast=')) {
      steadfast = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i];
      if (steadfast === undefined) return usageError(io, json, '--steadfast', '--steadfast: expected an npm spec');
    } else if (arg.startsWith('-')) {
      return usageError(io, json, arg, `unknown option ${arg}`);
    } else positional.push(arg);
  }
  if (positional.length !== 1) return usageError(io, json, '<dir>', '<dir>: expected exactly one folder to create the project in');
  try {
    const result = initProject(positional[0], { steadfast });
    io.out(json ? JSON.stringify(result, null, 2) : nextSteps(result));
    return 0;
  } catch (err) {
    if (err instanceof InitError) return usageError(io, json, err.field, err.message);
    throw err;
  }
}
