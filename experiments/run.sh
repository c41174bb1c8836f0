#!/usr/bin/env bash
# Runs an experiment file one run at a time and commits its results after each run, so that a machine which does not
# outlive the working session loses at most the run under way: on a fresh clone, running this again continues from
# the committed results file (finished runs are skipped, a stopped run resumes from its last checkpoint when its
# folder is still there).
#   experiments/run.sh [experiments/fashion-mnist.json]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
file="${1:-experiments/fashion-mnist.json}"
results=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"])' "$file")
report=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["report"])' "$file")
figures="${report%.md}"
while true; do
  log=$(mktemp)
  ./crx experiment "$file" --max-runs 1 | tee "$log"
  if grep -q "; 0 to go" "$log"; then rm -f "$log"; break; fi
  run=$(grep -o '^[^ ]*: top-1 [0-9.]* \?%' "$log" | tail -1 || true)
  rm -f "$log"
  git add -- "$results" "$report" "$figures"
  git commit -q -m "Results: ${run:-a run} recorded ($file)" -- "$results" "$report" "$figures" || true
done
