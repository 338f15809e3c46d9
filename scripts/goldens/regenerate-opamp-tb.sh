#!/usr/bin/env bash
# Regenerates the op-amp testbench references: Tests/SpiceTests/Goldens/opamp-tb/<name>.cir ->
# <name>.out, ngspice 39's standard output for `ngspice -b <name>.cir`, minus the lines that change from
# run to run (timings, memory, the date in table headers). The only way these references change.
#
#   scripts/goldens/regenerate-opamp-tb.sh              all decks
#   scripts/goldens/regenerate-opamp-tb.sh l1_ac         only the named decks
exec "$(dirname "$0")/regenerate-transcripts.sh" Tests/SpiceTests/Goldens/opamp-tb "$@"
