#!/usr/bin/env bash
# Regenerates ngspice-transcript references in one golden folder: <folder>/<name>.cir -> <name>.out,
# ngspice 39's standard output for `ngspice -b <name>.cir`, minus the lines that change from run to run
# (timings, memory, the date in table headers). Called by regenerate-control.sh and
# regenerate-opamp-tb.sh, which name the folder.
#
#   scripts/goldens/regenerate-transcripts.sh FOLDER [deck-name ...]
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: $0 FOLDER [deck-name ...]" >&2; exit 2; }
folder=$1; shift
[ -d "$folder" ] || { echo "error: no folder $folder" >&2; exit 1; }

command -v ngspice >/dev/null || { echo "error: ngspice not found on PATH" >&2; exit 1; }
version=$(ngspice -v 2>&1 | grep -o 'ngspice-[0-9]*' | head -1)
[ "$version" = "ngspice-39" ] || { echo "error: references come from ngspice-39, found '$version'" >&2; exit 1; }
export HOME=$(mktemp -d)
trap 'rm -rf "$HOME"' EXIT

if [ $# -gt 0 ]; then decks=(); for n in "$@"; do decks+=("$folder/$n.cir"); done
else decks=("$folder"/*.cir); fi

for deck in "${decks[@]}"; do
    [ -f "$deck" ] || { echo "error: no deck $deck" >&2; exit 1; }
    out=${deck%.cir}.out
    # ngspice -b exits 1 after a control block without `quit`; the transcript is what counts.
    raw=$( (cd "$folder" && ngspice -b "$(basename "$deck")" 2>"$HOME/stderr") || true)
    if grep -qiE 'fatal error|Undefined parameter|Cannot compute' "$HOME/stderr"; then
        cat "$HOME/stderr" >&2; echo "error: ngspice rejected $deck" >&2; exit 1
    fi
    printf '%s\n' "$raw" \
        | grep -vE '^(Total |DRAM |Maximum ngspice|Current ngspice|Shared ngspice|Text \(code\)|Stack = |Library pages)' \
        | sed -E 's/  [A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8}  [0-9]{4}$//' > "$out"
    [ -s "$out" ] || { echo "error: $out is empty" >&2; exit 1; }
    echo "ok  $out"
done
