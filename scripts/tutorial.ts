/**
 * Executes docs/tutorial.md, so the tutorial cannot drift from what works: every block marked with
 * an HTML comment is applied in order, in a fresh folder.
 *
 *   <!-- tutorial: run -->                          each line of the next block is a shell command
 *   <!-- tutorial: file <path> -->                  the next block is written to <path>
 *   <!-- tutorial: insert <path> after "<line>" --> the next block is inserted after the one line
 *   <!-- tutorial: insert <path> before "<line>" -->  of <path> that contains <line> (or before it)
 *
 * `cd <dir>` moves the runner. One rewrite, because the package under test is not on the registry:
 * `npx steadfast init …` runs the packed Steadfast's own bin with `--steadfast file:<tarball>`.
 *
 * Usage: tsx scripts/tutorial.ts <tarball.tgz> <unpacked package dir> <work dir>
 * Exits 1 at the first command or edit that fails, naming it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

interface Step {
  marker: string;
  body: string;
  line: number;
}

/** The marked blocks of a Markdown document, in order. */
export function tutorialSteps(markdown: string): Step[] {
  const lines = markdown.split('\n');
  const steps: Step[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^<!--\s*tutorial:\s*(.+?)\s*-->\s*$/.exec(lines[i]);
    if (!m) continue;
    const open = lines.findIndex((l, j) => j > i && /^```/.test(l));
    const close = lines.findIndex((l, j) => j > open && /^```\s*$/.test(l));
    if (open !== i + 1 || close < 0) throw new Error(`line ${i + 1}: "${m[1]}" must be followed by a fenced block`);
    steps.push({ marker: m[1], body: lines.slice(open + 1, close).join('\n') + '\n', line: i + 1 });
    i = close;
  }
  return steps;
}

function fail(step: Step, message: string): never {
  console.error(`tutorial.md line ${step.line} (${step.marker}): ${message}`);
  process.exit(1);
}

function main(): void {
  const [tarball, packageDir, workDir] = process.argv.slice(2);
  if (!tarball || !packageDir || !workDir) {
    console.error('usage: tsx scripts/tutorial.ts <tarball.tgz> <unpacked package dir> <work dir>');
    process.exit(2);
  }
  const doc = path.join(__dirname, '..', 'docs', 'tutorial.md');
  const steps = tutorialSteps(fs.readFileSync(doc, 'utf8'));
  const bin = path.join(path.resolve(packageDir), 'bin', 'steadfast.js');
  let cwd = path.resolve(workDir);
  fs.mkdirSync(cwd, { recursive: true });
  console.log(`tutorial: ${steps.length} marked blocks from ${doc}, in ${cwd}`);
  for (const step of steps) {
    const [kind, ...rest] = step.marker.split(/\s+/);
    if (kind === 'run') {
      for (const raw of step.body.split('\n')) {
        const command = raw.replace(/\s+#.*$/, '').trim();
        if (!command || command.startsWith('#')) continue;
        const cd = /^cd\s+(\S+)$/.exec(command);
        if (cd) {
          cwd = path.resolve(cwd, cd[1]);
          console.log(`\n$ ${command}`);
          continue;
        }
        const actual = command.replace(/^npx steadfast init (.+)$/, `node ${JSON.stringify(bin)} init $1 --steadfast ${JSON.stringify(`file:${path.resolve(tarball)}`)}`);
        console.log(`\n$ ${command}${actual !== command ? `\n  (runs: ${actual})` : ''}`);
        const r = spawnSync('bash', ['-c', actual], { cwd, stdio: 'inherit', timeout: 30 * 60_000 });
        if (r.status !== 0) fail(step, `"${command}" exited ${r.status ?? r.signal}`);
      }
    } else if (kind === 'file') {
      const file = path.join(cwd, rest.join(' '));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, step.body);
      console.log(`\n# wrote ${path.relative(cwd, file)}`);
    } else if (kind === 'insert') {
      const m = /^(\S+)\s+(after|before)\s+"(.+)"$/.exec(rest.join(' '));
      if (!m) fail(step, 'expected: insert <path> after|before "<line>"');
      const file = path.join(cwd, m[1]);
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const at = lines.flatMap((l, i) => (l.includes(m[3]) ? [i] : []));
      if (at.length !== 1) fail(step, `${m[1]} has ${at.length} lines containing "${m[3]}"; expected one`);
      const index = m[2] === 'after' ? at[0] + 1 : at[0];
      lines.splice(index, 0, ...step.body.replace(/\n$/, '').split('\n'));
      fs.writeFileSync(file, lines.join('\n'));
      console.log(`\n# inserted ${step.body.split('\n').length - 1} lines into ${m[1]} ${m[2]} "${m[3]}"`);
    } else {
      fail(step, `unknown marker "${kind}"`);
    }
  }
  console.log('\ntutorial: every block ran');
}

if (require.main === module) main();
