/**
 * `steadfast init <dir>`: scaffolds a project of the user's own from the `template/` folder shipped
 * in the package: a saga workflow, its activities over the effect store, a worker, a client script
 * and tests on the time-skipping server. Uses Node builtins only, so it runs before anything else
 * is installed, and touches no network: `npm install` in the new project does that, from the
 * package registry.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The package root: `src/init` and `dist/init` both sit two folders below it. */
const PACKAGE_ROOT = path.join(__dirname, '..', '..');
const TEMPLATE_DIR = path.join(PACKAGE_ROOT, 'template');

/**
 * Files named differently in the package: `npm pack` drops a `.gitignore`, and a `tsconfig.json` in
 * the template would take over type-checking the template inside Steadfast's own repository.
 */
const RENAMED: Record<string, string> = { gitignore: '.gitignore', 'tsconfig.template.json': 'tsconfig.json' };

/** Packages the scaffold depends on, pinned as Steadfast pins them. */
const DEPENDENCIES = [
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/common',
  '@temporalio/proto',
  '@temporalio/worker',
  '@temporalio/workflow',
  'zod',
];
const DEV_DEPENDENCIES = ['@types/mocha', '@types/node', 'mocha', 'tsx', 'typescript'];

/** Options of {@link initProject}. */
export interface InitOptions {
  /** How the project depends on Steadfast (an npm spec); default `^<this version>`. */
  steadfast?: string;
}

/** What {@link initProject} did. */
export interface InitResult {
  dir: string;
  name: string;
  /** Paths written, relative to `dir`, sorted. */
  files: string[];
}

/** Bad input to `steadfast init`; the CLI exits 2 with its message. */
export class InitError extends Error {
  override readonly name = 'InitError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

interface PackageJson {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function readPackageJson(): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as PackageJson;
}

/** A valid npm package name from a folder name (`My Trips` → `my-trips`). */
function packageName(dir: string): string {
  const name = path
    .basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '');
  return name || 'steadfast-project';
}

/** The scaffold's package.json: its scripts and dependencies, pinned to Steadfast's own versions. */
export function scaffoldPackageJson(name: string, opts: InitOptions = {}): Record<string, unknown> {
  const own = readPackageJson();
  const pin = (dep: string) => {
    const version = own.dependencies[dep] ?? own.devDependencies?.[dep];
    if (!version) throw new Error(`steadfast's package.json has no version of ${dep}`);
    return [dep, version] as const;
  };
  return {
    name,
    version: '0.1.0',
    private: true,
    description: 'Fault-tolerant workflows on Temporal, with Steadfast',
    scripts: {
      pretest: 'steadfast setup',
      test: 'mocha',
      prestart: 'steadfast setup',
      start: 'tsx client/main.ts',
      worker: 'tsx workers/main.ts',
      typecheck: 'tsc -p .',
    },
    mocha: {
      'node-option': ['import=tsx'],
      spec: 'test/**/*.test.ts',
      timeout: 120000,
      exit: true,
    },
    dependencies: Object.fromEntries([[own.name, opts.steadfast ?? `^${own.version}`], ...DEPENDENCIES.map(pin)]),
    devDependencies: Object.fromEntries(DEV_DEPENDENCIES.map(pin)),
  };
}

function listFiles(root: string, dir = ''): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(root, rel) : [rel];
  });
}

/**
 * Scaffolds a project in `dir` (created if missing). Refuses a `dir` that exists and is not
 * empty, before writing anything.
 */
export function initProject(dir: string, opts: InitOptions = {}): InitResult {
  const target = path.resolve(dir);
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) {
    throw new InitError(`<dir>: "${dir}" is a file; name a new or empty folder`, '<dir>');
  }
  if (stat && fs.readdirSync(target).length > 0) {
    throw new InitError(`<dir>: "${dir}" is not empty; name a new or empty folder, so nothing of yours is overwritten`, '<dir>');
  }
  if (opts.steadfast !== undefined && !opts.steadfast.trim()) {
    throw new InitError('--steadfast: expected an npm spec such as "^0.1.0" or "file:../steadfast-0.1.0.tgz"', '--steadfast');
  }
  const name = packageName(target);
  const pkg = scaffoldPackageJson(name, opts);
  fs.mkdirSync(target, { recursive: true });
  const files: string[] = [];
  for (const rel of listFiles(TEMPLATE_DIR)) {
    const out = path.join(path.dirname(rel), RENAMED[path.basename(rel)] ?? path.basename(rel));
    fs.mkdirSync(path.join(target, path.dirname(out)), { recursive: true });
    fs.copyFileSync(path.join(TEMPLATE_DIR, rel), path.join(target, out));
    files.push(out);
  }
  fs.writeFileSync(path.join(target, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  files.push('package.json');
  return { dir: target, name, files: files.map((f) => f.split(path.sep).join('/')).sort() };
}

/** Next steps, printed after a scaffold. */
export function nextSteps(result: InitResult, cwd = process.cwd()): string {
  const rel = path.relative(cwd, result.dir) || '.';
  return [
    `Created ${result.name} in ${result.dir}:`,
    ...result.files.map((f) => `  ${f}`),
    '',
    'Next:',
    `  cd ${rel}`,
    '  npm install',
    '  npm test     # installs the Temporal servers into .steadfast/bin, then runs the tests',
    '  npm start    # books one trip on a dev server of its own',
  ].join('\n');
}
