#!/usr/bin/env bash
# Regenerates the noise goldens from ngspice 39: Tests/SpiceTests/Goldens/noise/<name>.cir -> <name>.raw
# (ascii raw file: the spectra plot and the integrated-noise plot of every .noise card), and the
# control-block testbenches Goldens/noise/control/<name>.cir -> <name>.out (ngspice's standard output minus
# timings, memory and dates, as scripts/goldens/regenerate-control.sh makes them). The only way these
# references change.
#
#   scripts/goldens/regenerate-noise.sh              all noise decks and testbenches
#   scripts/goldens/regenerate-noise.sh cs_level1    only the named raw-file decks
#
# Fails if ngspice is not version 39, if a deck fails, or if ngspice prints a warning or error other than
# its fixed batch-mode notes.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/../.."
goldens=Tests/SpiceTests/Goldens/noise

command -v ngspice >/dev/null || { echo "error: ngspice not found on PATH" >&2; exit 1; }
version=$(ngspice -v 2>&1 | grep -o 'ngspice-[0-9]*' | head -1)
[ "$version" = "ngspice-39" ] || { echo "error: references come from ngspice-39, found '$version'" >&2; exit 1; }

export HOME=$(mktemp -d)
export SPICE_ASCIIRAWFILE=1
log=$(mktemp)
trap 'rm -rf "$HOME" "$log"' EXIT

if [ $# -gt 0 ]; then decks=(); for n in "$@"; do decks+=("$goldens/$n.cir"); done
else decks=("$goldens"/*.cir); fi

for deck in "${decks[@]}"; do
    [ -f "$deck" ] || { echo "error: no deck $deck" >&2; exit 1; }
    raw=${deck%.cir}.raw
    if ! (cd "$(dirname "$deck")" && ngspice -b -r "$(basename "$raw")" "$(basename "$deck")") >"$log" 2>&1; then
        cat "$log" >&2; echo "error: ngspice failed on $deck" >&2; exit 1
    fi
    # ngspice's BSIM3 parameter check leaves a log beside the deck.
    rm -f "$(dirname "$deck")/b3v33check.log"
    if grep -iE 'warning|error|fail|singular|abort|not found|unknown|unrecognized|ignored|timestep too small' "$log" \
        | grep -vE 'No compatibility mode selected|no simulations run|gmin' >&2; then
        echo "error: ngspice complained about $deck (see above)" >&2; exit 1
    fi
    [ -s "$raw" ] || { echo "error: $raw is empty" >&2; exit 1; }
    echo "ok  $raw"
done

[ $# -gt 0 ] && exit 0
for deck in "$goldens"/control/*.cir; do
    out=${deck%.cir}.out
    # ngspice -b exits 1 after a control block without `quit`; the transcript is what counts.
    text=$( (cd "$(dirname "$deck")" && ngspice -b "$(basename "$deck")" 2>"$log") || true)
    if grep -qiE 'fatal error|Undefined parameter|Cannot compute|^Error' "$log"; then
        cat "$log" >&2; echo "error: ngspice rejected $deck" >&2; exit 1
    fi
    printf '%s\n' "$text" \
        | grep -vE '^(Total |DRAM |Maximum ngspice|Current ngspice|Shared ngspice|Text \(code\)|Stack = |Library pages)' \
        | sed -E 's/  [A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8}  [0-9]{4}$//' > "$out"
    [ -s "$out" ] || { echo "error: $out is empty" >&2; exit 1; }
    echo "ok  $out"
done
