/**
 * Mocha setup, loaded before every test file: the SDK runtime, quiet unless STEADFAST_LOG_LEVEL
 * asks for more; and fault injection on, for this process and the worker processes tests spawn
 * (tests inject faults; a production worker leaves it off).
 */
import { installRuntime } from '../src/platform/runtime';

process.env.STEADFAST_FAULT_INJECTION = '1';
installRuntime('ERROR');
