# shellcheck shell=bash
# Sourced by the other scripts: puts the project's own Node 24 and pnpm (in .tools/, when
# scripts/setup had to install them) first on PATH. It installs nothing; scripts/setup does.
QUADRANTS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export QUADRANTS_ROOT
export PATH="$QUADRANTS_ROOT/.tools/bin:$PATH"
