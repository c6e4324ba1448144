#!/bin/bash
# Third device call: the LM seeds that did not start in the crowded second call (out of GPU memory with 21
# processes), and the paper-size image model on Fashion-MNIST, all sharing the card.
# Usage: bash benchmarks/run_gpu_rest.sh SOTU_DIR FMNIST_DIR RUNS_DIR BUDGET_S
sotu=$1; fm=$2; runs=$3; budget=$4
mkdir -p "$runs"
for ks in astromorphic:0 astromorphic:1 kozachkov:2 leak:2 softmax:0 softmax:2; do
  k=${ks%:*}; s=${ks#*:}
  python3 benchmarks/paper_lm.py --kind $k --seed $s --epochs 10 --time-budget "$budget" --source "$sotu" \
    --out "$runs/lm-$k-s$s" > "$runs/lm-$k-s$s.log" 2>&1 &
done
for k in astromorphic kozachkov linear softmax; do
  python3 -m astrosim.cli.train fashion-mnist --attention $k --seed 0 --model dim=256,heads=8,layers=8 \
    --epochs 15 --time-budget "$budget" --source "$fm" --quiet --out "$runs/fm-$k-s0" > "$runs/fm-$k-s0.log" 2>&1 &
done
wait
grep -h "test ppl\|test acc" "$runs"/*.log | grep -v "^epoch" ; for f in "$runs"/fm-*.log; do echo "$f"; tail -2 "$f"; done
