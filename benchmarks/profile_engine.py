"""Per-object time of astrosim's loop on the Fig. 6 neuron-astrocyte network (``profile=True``).

Usage: ``python benchmarks/profile_engine.py [--duration 0.1] [--repeats 2] [--scale 1.0]``;
``ASTROSIM_PARALLEL_MIN_SIZE=0`` in the environment compares without threads. The first repeat
includes compilation (see the printed timings); later ones reuse the kernel.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=0.1, help="simulated seconds per repeat")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0, help="network size factor")
    parser.add_argument("--top", type=int, default=8, help="objects listed per repeat")
    args = parser.parse_args(argv)

    import brian2 as b2

    import astrosim.engine  # noqa: F401  (registers the device)
    from astrosim.testing.networks.glia import build_coba_with_astro

    b2.set_device("astrosim")  # compiled connect(), as for a script run by astrosim
    b2.seed(1)
    t0 = time.perf_counter()
    s = args.scale
    ns = build_coba_with_astro(int(3200 * s), int(800 * s), int(3200 * s))
    print(f"construct {time.perf_counter() - t0:.1f} s", flush=True)
    net = b2.Network([v for v in ns.values() if isinstance(v, b2.BrianObject)])
    for _ in range(args.repeats):
        sim = astrosim.engine.Simulator(net, seed=1)
        sim.run(args.duration * b2.second, profile=True)
        print({k: round(v, 2) for k, v in sim.timings.items()})
        total = sum(float(t) for _, t in sim.profiling_info)
        for name, t in sim.profiling_info[:args.top]:
            print(f"  {name:48s} {float(t):7.3f} s {100 * float(t) / total:5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
