/**
 * Mocha setup, loaded before every test file: the SDK runtime, quiet unless STEADFAST_LOG_LEVEL
 * asks for more.
 */
import { installRuntime } from '../platform/runtime';

installRuntime('ERROR');
