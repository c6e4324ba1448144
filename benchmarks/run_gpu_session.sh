#!/bin/bash
# One device call for both GPU issues, in the order that keeps timings clean:
#   1. while brian2cuda's projects compile (CPU) and an IMDB model trains (GPU): the engine's
#      real-GPU test (agreement only, not timed);
#   2. the engine benchmark (benchmarks/engine_gpu.py) alone on the card;
#   3. if time is left, the attention kernels beside SDPA and fla (benchmarks/attention_gpu.py).
# Usage: bash benchmarks/run_gpu_session.sh WHEELS_DIR IMDB_PREPARED_DIR OUT_DIR [LIMIT_S]
#   WHEELS_DIR as for run_engine_gpu.sh, plus fla/ (fla-core) for the attention comparison.
set -u
whl=$1; imdb=$2; out=$3; limit=${4:-580}
repo=$(pwd); log="$out/session.log"
mkdir -p "$out"
exec > >(tee -a "$log") 2>&1
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/np "$whl"/numpy-*.whl || exit 1
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/b29 "$whl"/brian2-2.9.0-*.whl || exit 1
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/b210 "$whl"/b2cuda/*.whl || exit 1
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/fla "$whl"/fla/fla_core-*.whl || exit 1
# CUDA 13's Thrust (CCCL 3) needs C++17; brian2cuda 1.0b1's makefile asks nvcc for C++11
sed -i 's/-std=c++11/-std=c++17/' /tmp/b210/brian2cuda/templates/makefile
for sub in models protocols analysis; do [ -e "astrosim/$sub" ] || cp -r "$sub" "astrosim/$sub"; done
export PYTHONPATH=/tmp/np:/tmp/b29:$repo MPLBACKEND=Agg PYTHONUNBUFFERED=1
printf '#!/bin/sh\nPYTHONPATH=/tmp/np:/tmp/b210:%s exec python3 "$@"\n' "$repo" > /tmp/b2cuda-python
chmod +x /tmp/b2cuda-python
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
nvcc --version | tail -1
python3 -c "import sys, numpy, numba, torch, triton, brian2; from numba import cuda; print(sys.version.split()[0], 'numpy', numpy.__version__, 'numba', numba.__version__, 'torch', torch.__version__, 'triton', triton.__version__, 'brian2', brian2.__version__, 'cuda', cuda.is_available())"
/tmp/b2cuda-python -c "import brian2, brian2cuda; print('peer: brian2', brian2.__version__, 'brian2cuda', brian2cuda.__version__)" 2>&1 | grep peer

# 1. background: brian2cuda builds; an IMDB classifier (the main-table recipe) for the CPU circuits
timeout 300 python3 benchmarks/engine_gpu.py --prebuild-only --brian2cuda-python /tmp/b2cuda-python \
  --workdir /tmp/egw --duration 1 --out "$out/b2cuda_cold.json" > "$out/prebuild.log" 2>&1 &
prebuild=$!
(timeout 240 python3 -m astrosim.cli.train imdb --attention astromorphic --seed 0 --epochs 3 --source "$imdb" \
   --quiet --time-budget 200 --out /tmp/imdb-gpu > /tmp/imdb-gpu.log 2>&1
 python3 - <<'EOF'
import torch
state = torch.load("/tmp/imdb-gpu/checkpoint.pt", map_location="cpu", weights_only=False)
for key in ("optimizer", "scheduler"):  # the weights travel back; the optimizer's moments stay
    state.pop(key, None)
torch.save(state, "/tmp/imdb-gpu/checkpoint.pt")
EOF
 cp /tmp/imdb-gpu.log /tmp/imdb-gpu/stdout.log
 tar -C /tmp -cf "$out/imdb-gpu.tar" imdb-gpu) &
train=$!
timeout 200 python3 -m pytest -q -p no:cacheprovider tests/engine/test_backend_cuda.py -k real_gpu 2>&1 \
  | grep -v "Warning\|warn(\|py.warnings\|^$\|Docs:" | tail -12
echo "[$SECONDS s] real-GPU test done"
wait $train; echo "[$SECONDS s] IMDB run: $(grep -h 'test acc' /tmp/imdb-gpu.log | tail -1)"
wait $prebuild; echo "[$SECONDS s] brian2cuda builds:"; cat "$out/prebuild.log" | grep -v "WARNING\|py.warnings\|^  "

# 2. the engine benchmark, alone on the card
left=$((limit - SECONDS - 75)); [ $left -lt 60 ] && left=60
tl=$((left - 150)); [ $tl -lt 30 ] && tl=30  # the last worker started may take its whole timeout
timeout $left python3 benchmarks/engine_gpu.py --brian2cuda-python /tmp/b2cuda-python --workdir /tmp/egw \
  --cold-builds "$out/b2cuda_cold.json" --worker-timeout 150 --time-limit $tl --duration 1 \
  --batches 1024 --cpu-max-batch 64 \
  --out "$out/engine_gpu.json" 2>&1 | grep -v "WARNING\|py.warnings\|^  warn\|^  [a-z]*Dot\|^  Exp\|^  notDigit\|^  regex"
echo "[$SECONDS s] engine benchmark done"

# 3. attention kernels beside SDPA and fla, with what is left (Triton's and fla's first
#    compilations and autotuning take a few minutes: skipped below three)
left=$((limit - SECONDS - 5))
if [ $left -gt 180 ]; then
  PYTHONPATH=/tmp/fla:$PYTHONPATH timeout $left python3 benchmarks/attention_gpu.py --skip-check --skip-throughput \
    --torch-max 0 --lengths 512 2048 8192 32768 65536 --out "$out/attention_speed.json" 2>&1 | grep -v "Warning\|warn("
fi
echo "[$SECONDS s] end"
