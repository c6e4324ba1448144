#!/bin/bash
# The engine's cuda back end on a machine with a card, in one command: agreement with the CPU back
# end on the card, then benchmarks/engine_gpu.py against brian2cuda and the CPU engine.
#
# Usage: bash benchmarks/run_engine_gpu.sh WHEELS_DIR OUT_DIR [DURATION_S] [BATCHES]
#   WHEELS_DIR holds numpy 2.3.x and brian2 2.9.0 wheels (astrosim's pins) and, in b2cuda/, brian2
#   2.10.1 and brian2cuda 1.0b1 (brian2cuda's pins); they are installed into separate folders so
#   that the two peers run under their own Brian2. The machine's python3 must have numba with CUDA
#   support, scipy, h5py, sympy, jinja2 and a CUDA toolkit (nvcc) for brian2cuda.
set -u
whl=$1; out=$2; duration=${3:-1}; batches=${4:-64,256,1024}
repo=$(pwd)
mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/np "$whl"/numpy-*.whl || exit 1
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/b29 "$whl"/brian2-2.9.0-*.whl || exit 1
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/b210 "$whl"/b2cuda/*.whl || exit 1
# CUDA 13's Thrust (CCCL 3) needs C++17; brian2cuda 1.0b1's makefile asks nvcc for C++11
sed -i 's/-std=c++11/-std=c++17/' /tmp/b210/brian2cuda/templates/makefile
# the package's subtrees, where an installed astrosim would have them
for sub in models protocols analysis; do [ -e "astrosim/$sub" ] || cp -r "$sub" "astrosim/$sub"; done
export PYTHONPATH=/tmp/np:/tmp/b29:$repo MPLBACKEND=Agg
printf '#!/bin/sh\nPYTHONPATH=/tmp/np:/tmp/b210:%s exec python3 "$@"\n' "$repo" > /tmp/b2cuda-python
chmod +x /tmp/b2cuda-python
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  nvcc --version | tail -2
  python3 -c "import sys, numpy, numba, brian2; from numba import cuda; print(sys.version.split()[0], 'numpy', numpy.__version__, 'numba', numba.__version__, 'brian2', brian2.__version__, 'cuda', cuda.is_available())"
  /tmp/b2cuda-python -c "import brian2, brian2cuda; print('peer: brian2', brian2.__version__, 'brian2cuda', brian2cuda.__version__)"
} > "$out/env.txt" 2>&1
cat "$out/env.txt"

# brian2cuda's projects compile (all at once) while the agreement checks run on the card
python3 benchmarks/engine_gpu.py --prebuild-only --brian2cuda-python /tmp/b2cuda-python --workdir /tmp/egw \
  --duration "$duration" --out "$out/b2cuda_cold.json" > "$out/prebuild.log" 2>&1 &
prebuild=$!
t0=$SECONDS
if [ "${FULL_AGREEMENT:-0}" = 1 ]; then  # every case of the CPU tests, on the card (about 3 minutes)
  timeout 240 python3 tests/engine/test_backend_cuda.py > "$out/agree.json" 2> "$out/agree.err"
  echo "agreement on the card (all cases, exit $?, $((SECONDS - t0)) s):"
  python3 -c "import json, sys; [print(' ', k, json.dumps(v, default=str)[:300]) for k, v in json.loads(open(sys.argv[1]).read().splitlines()[-1]).items()]" "$out/agree.json"
fi
# the real-GPU test: two copies, one copy over one block per multiprocessor, one copy over three blocks
timeout 240 python3 -m pytest -q -p no:cacheprovider tests/engine/test_backend_cuda.py -k real_gpu 2>&1 | grep -v "Warning\|warn(\|py.warnings\|^$" | tail -15
echo "real-GPU test done after $((SECONDS - t0)) s"
wait $prebuild
echo "brian2cuda prebuild ($((SECONDS - t0)) s after the checks began):"; cat "$out/prebuild.log"

python3 benchmarks/engine_gpu.py --brian2cuda-python /tmp/b2cuda-python --workdir /tmp/egw \
  --cold-builds "$out/b2cuda_cold.json" --worker-timeout "${WORKER_TIMEOUT:-200}" --duration "$duration" --batches "$batches" \
  --out "$out/engine_gpu.json" 2>&1 | tee "$out/engine_gpu.log"
