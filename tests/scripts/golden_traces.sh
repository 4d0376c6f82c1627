#!/usr/bin/env bash
# Every prebuilt ROM's event trace equals its golden trace in tests/golden/ (scripts/golden).
exec bash "$2/scripts/golden" check "$1"
