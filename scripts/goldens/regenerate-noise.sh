#!/usr/bin/env bash
# Regenerates the noise goldens from ngspice 39: Tests/SpiceTests/Goldens/noise/<name>.cir -> <name>.raw
# (ascii raw file: the spectra plot and the integrated-noise plot of every .noise card). The only way these
# references change.
#
#   scripts/goldens/regenerate-noise.sh              all noise decks
#   scripts/goldens/regenerate-noise.sh cs_level1    only the named decks
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
