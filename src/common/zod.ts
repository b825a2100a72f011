/**
 * zod, configured for the workflow sandbox: the sandbox must not generate code (zod's JIT compiles
 * parsers with `new Function`), and the interpreter gives the same answers, so activities and the CLI
 * lose nothing but a little speed. Steadfast's modules take zod from here, so the setting is made
 * before any of their schemas parses.
 */
import { z } from 'zod';

z.config({ jitless: true });

export { z };
