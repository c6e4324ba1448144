#!/bin/bash
# The paper-size LM comparison as run on one H200 (all runs share the card): four kinds x three seeds.
# Usage: bash benchmarks/run_paper_lm.sh PREPARED_SOTU_DIR RUNS_DIR [EPOCHS] [TIME_BUDGET_S]
src=$1; runs=$2; epochs=${3:-10}; budget=${4:-400}
mkdir -p "$runs"
for s in 0 1 2; do
  for k in astromorphic kozachkov softmax leak; do
    python3 benchmarks/paper_lm.py --kind $k --seed $s --epochs "$epochs" --time-budget "$budget" --source "$src" \
      --out "$runs/lm-$k-s$s" > "$runs/lm-$k-s$s.log" 2>&1 &
  done
done
wait
grep -h "test ppl" "$runs"/*.log | grep -v "^epoch"
