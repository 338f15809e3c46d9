#!/usr/bin/env bash
# Regenerates every golden reference from ngspice: Tests/SpiceTests/Goldens/<name>.cir -> <name>.raw (ascii),
# and the raw-file fixtures (ascii and binary) under Goldens/rawfile/. The only way references change.
#
#   scripts/goldens/regenerate.sh            all decks
#   scripts/goldens/regenerate.sh opamp_op   only the named decks
#
# Fails if ngspice is not version 39, if a deck fails, or if ngspice prints a warning or error that is
# not on the short allow-list below (batch-mode notes and gmin-stepping progress, which say nothing wrong
# about the circuit: the opamp follower needs gmin stepping to find its first operating point).
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/../.."
goldens=Tests/SpiceTests/Goldens

command -v ngspice >/dev/null || { echo "error: ngspice not found on PATH" >&2; exit 1; }
version=$(ngspice -v 2>&1 | grep -o 'ngspice-[0-9]*' | head -1)
[ "$version" = "ngspice-39" ] || { echo "error: references come from ngspice-39, found '$version'" >&2; exit 1; }

# Reproducible: no user or site init file changes the decks' meaning.
export HOME=$(mktemp -d)
export SPICE_ASCIIRAWFILE=1
log=$(mktemp)
trap 'rm -rf "$HOME" "$log"' EXIT

run() { # deck raw
    local deck=$1 raw=$2
    if ! (cd "$(dirname "$deck")" && ngspice -b -r "$(basename "$raw")" "$(basename "$deck")") >"$log" 2>&1; then
        cat "$log" >&2; echo "error: ngspice failed on $deck" >&2; exit 1
    fi
    # Anything that looks like a complaint, minus ngspice's fixed batch-mode notes.
    if grep -iE 'warning|error|fail|singular|abort|not found|unknown|unrecognized|ignored|timestep too small' "$log" \
        | grep -vE 'No compatibility mode selected|no simulations run|gmin' >&2; then
        echo "error: ngspice complained about $deck (see above)" >&2; exit 1
    fi
    [ -s "$raw" ] || { echo "error: $raw is empty" >&2; exit 1; }
    # ngspice's BSIM3 parameter check leaves a log beside the deck (empty of complaints when we get here).
    rm -f "$(dirname "$deck")/b3v33check.log"
}

if [ $# -gt 0 ]; then decks=(); for n in "$@"; do decks+=("$goldens/$n.cir"); done
else decks=("$goldens"/*.cir "$goldens"/bsim/*.cir); fi

for deck in "${decks[@]}"; do
    [ -f "$deck" ] || { echo "error: no deck $deck" >&2; exit 1; }
    run "$deck" "${deck%.cir}.raw"
    echo "ok  ${deck%.cir}.raw"
done

if [ $# -eq 0 ]; then
    fixture=$goldens/rawfile/fixture.cir
    run "$fixture" "$goldens/rawfile/fixture-ascii.raw"
    (unset SPICE_ASCIIRAWFILE; run "$fixture" "$goldens/rawfile/fixture-binary.raw")
    echo "ok  raw-file fixtures"
fi
