#!/usr/bin/env bash
# Regenerates the control-block and measurement references: Tests/SpiceTests/Goldens/control/<name>.cir ->
# <name>.out, ngspice 39's standard output for `ngspice -b <name>.cir`, minus the lines that change from
# run to run (timings, memory, the date in table headers). The only way these references change.
#
#   scripts/goldens/regenerate-control.sh              all decks
#   scripts/goldens/regenerate-control.sh meas_dc       only the named decks
exec "$(dirname "$0")/regenerate-transcripts.sh" Tests/SpiceTests/Goldens/control "$@"
