#!/bin/bash
# IMDB with masked-token pretraining, as run on one H200 (runs share the card).
# Usage: bash benchmarks/run_imdb_pretrain.sh PREPARED_IMDB_DIR RUNS_DIR [KINDS] [SEEDS]
src=$1; runs=$2; kinds=${3:-"astromorphic kozachkov softmax"}; seeds=${4:-"0 1 2"}
mkdir -p "$runs"
for s in $seeds; do
  for k in $kinds; do
    python3 benchmarks/imdb_pretrain.py --kind $k --seed $s --prepared "$src" --out "$runs/imdb-pt-$k-s$s" \
      > "$runs/imdb-pt-$k-s$s.log" 2>&1 &
  done
done
wait
grep -h "test acc" "$runs"/*.log | grep -v "^epoch"
