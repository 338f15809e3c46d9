#!/usr/bin/env bash
# Regenerates the transient references from ngspice 39: Tests/SpiceTests/Goldens/tran/<name>.cir ->
# <name>.raw (ascii; binary for the long op-amp slew run), or, for decks with .meas cards, <name>.out
# (ngspice's standard output, which prints the measurements; ngspice refuses .meas with -r).
# The only way these references change.
#
#   scripts/goldens/regenerate-tran.sh              all decks
#   scripts/goldens/regenerate-tran.sh rc_pulse     only the named decks
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/../.."
folder=Tests/SpiceTests/Goldens/tran

command -v ngspice >/dev/null || { echo "error: ngspice not found on PATH" >&2; exit 1; }
version=$(ngspice -v 2>&1 | grep -o 'ngspice-[0-9]*' | head -1)
[ "$version" = "ngspice-39" ] || { echo "error: references come from ngspice-39, found '$version'" >&2; exit 1; }
export HOME=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$HOME" "$log"' EXIT

if [ $# -gt 0 ]; then decks=(); for n in "$@"; do decks+=("$folder/$n.cir"); done
else decks=("$folder"/*.cir); fi

for deck in "${decks[@]}"; do
    [ -f "$deck" ] || { echo "error: no deck $deck" >&2; exit 1; }
    name=$(basename "$deck" .cir)
    if grep -qi '^\.meas' "$deck"; then
        out=$folder/$name.out
        (cd "$folder" && ngspice -b "$name.cir") >"$log" 2>&1 || { cat "$log" >&2; echo "error: ngspice failed on $deck" >&2; exit 1; }
        grep -vE '^(Total |DRAM |Maximum ngspice|Current ngspice|Shared ngspice|Text \(code\)|Stack = |Library pages)' "$log" > "$out"
        grep -q ' = ' "$out" || { echo "error: $out has no measurements" >&2; exit 1; }
        echo "ok  $out"
        continue
    fi
    raw=$folder/$name.raw
    if [ "$name" = opamp_slew_bsim ]; then unset SPICE_ASCIIRAWFILE; else export SPICE_ASCIIRAWFILE=1; fi
    (cd "$folder" && ngspice -b -r "$name.raw" "$name.cir") >"$log" 2>&1 || { cat "$log" >&2; echo "error: ngspice failed on $deck" >&2; exit 1; }
    if grep -iE 'warning|error|fail|singular|abort|not found|unknown|unrecognized|ignored|timestep too small' "$log" \
        | grep -vE 'No compatibility mode selected|no simulations run' >&2; then
        echo "error: ngspice complained about $deck (see above)" >&2; exit 1
    fi
    rm -f "$folder/b3v33check.log"
    [ -s "$raw" ] || { echo "error: $raw is empty" >&2; exit 1; }
    echo "ok  $raw"
done
