#!/usr/bin/env bash
# End to end, as a new user: pack Steadfast, scaffold a project with `steadfast init` pointing at the
# tarball, install it from the registry, and run docs/tutorial.md in it (its npm test and npm start,
# then the added step and its tests), then `steadfast chaos` on the project's own workflow types. Checks that the consumer loads Steadfast's compiled JavaScript,
# never its TypeScript sources. Prints each step; exits non-zero at the first failure.
# Needs network access to the package registries only (npm, and PyPI for `steadfast setup`).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/steadfast-e2e.XXXXXX")"
keep="${STEADFAST_E2E_KEEP:-}"
cleanup() { if [ -z "$keep" ]; then rm -rf "$work"; else echo "kept $work"; fi; }
trap cleanup EXIT
step() { printf '\n==> %s\n' "$*"; }

step "npm pack Steadfast into $work/pack"
mkdir -p "$work/pack"
(cd "$repo" && npm pack --silent --pack-destination "$work/pack" >/dev/null)
tarball="$(ls "$work"/pack/steadfast-*.tgz)"
echo "$tarball ($(du -k "$tarball" | cut -f1) KiB)"
if tar -tzf "$tarball" | grep -E '^package/(src|test)/'; then
  echo "the tarball ships sources or tests (listed above)" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work/pack"

step "docs/tutorial.md in $work/tutorial: steadfast init, npm install, npm test, npm start, a new step and its tests"
(cd "$repo" && npx tsx scripts/tutorial.ts "$tarball" "$work/pack/package" "$work/tutorial")

project="$work/tutorial/my-trips"
step "the consumer runs Steadfast's compiled JavaScript"
installed="$project/node_modules/steadfast"
test -f "$installed/dist/workflow/index.js" || { echo "no dist/workflow/index.js in $installed" >&2; exit 1; }
test ! -e "$installed/src" || { echo "$installed ships src/" >&2; exit 1; }
# Type-checking the project must not reach into Steadfast's sources.
(cd "$project" && npx tsc -p . --listFilesOnly) | grep '/node_modules/steadfast/' | grep -v '/dist/.*\.d\.ts$' && {
  echo "type-checking the project pulls in the Steadfast files above" >&2
  exit 1
}
echo "ok: dist only, typings from dist/*.d.ts"

step "npx steadfast chaos in the scaffold: its own workflow types under faults and a worker kill, no chaos code of its own"
# The generic chaos type of each declared type, from its example input; exit 0 when every invariant holds.
(cd "$project" && npx steadfast chaos --workflows 10 --kills 1 --seed 9 --json --no-progress) > "$work/chaos.json" || {
  echo "steadfast chaos failed in the scaffold:" >&2
  cat "$work/chaos.json" >&2
  exit 1
}
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const o = r.outcomesByType.bookTrip;
  if (!r.passed || !o || o.runs !== 10 || o.incorrect || o.notTerminal) throw new Error("unexpected chaos report: " + JSON.stringify(r.outcomesByType));
  console.log("ok: " + r.invariants.map((v) => v.name + " (" + v.checked + ")").join(", "));
' "$work/chaos.json"

step "done: the scaffold installs from the tarball, its tests pass, npm start books a trip, steadfast chaos passes"
