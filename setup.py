"""Install astrosim: a numba back end for Brian2 neuron-astrocyte networks plus Astromorphic Transformers.

The repository keeps the model library, protocols and analysis code at the top level
(``models/``, ``protocols/``, ``analysis/``); they are installed *under* the package as
``astrosim.models``, ``astrosim.protocols`` and ``astrosim.analysis`` so that no generic
top-level name lands in site-packages.
"""
from setuptools import find_packages, setup

_SUBTREES = {"models": "astrosim.models", "protocols": "astrosim.protocols", "analysis": "astrosim.analysis"}

packages = find_packages(include=["astrosim", "astrosim.*"])
package_dir = {"astrosim": "astrosim"}
for folder, dotted in _SUBTREES.items():
    sub = find_packages(where=folder)
    packages.append(dotted)
    package_dir[dotted] = folder
    for name in sub:
        packages.append(f"{dotted}.{name}")
        package_dir[f"{dotted}.{name}"] = f"{folder}/{name.replace('.', '/')}"

# NWB / Neo / SONATA export and analysis (astrosim export, astrosim.io.to_neo); libsonata and bmtk
# are the SONATA readers the export is checked with
EXPORT = ["pynwb>=3.0", "neo>=0.13", "elephant>=1.1", "libsonata>=0.1.20", "bmtk>=1.1"]
# The tests run the attention kernels in Triton's CPU interpreter: pinned to the version they were
# checked with (also the one torch 2.11's CUDA build uses); wheels exist for Linux x86-64 only.
TRITON_INTERPRETER = "triton==3.6.0; platform_system == 'Linux' and platform_machine == 'x86_64'"

setup(
    name="astrosim",
    version="0.1.0",
    description="Brian2-specified neuron-synapse-astrocyte networks compiled with numba, "
    "and Astromorphic Transformers",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=packages,
    package_dir=package_dir,
    include_package_data=True,
    package_data={"": ["*.md", "*.json", "*.yaml", "*.txt"]},
    install_requires=[
        "brian2==2.9.0",
        "numpy<2.4",
        "scipy",
        "numba",
        "matplotlib",
        "h5py",
        "sympy",
    ],
    extras_require={
        "torch": ["torch>=2.11"],
        "export": EXPORT,
        "dask": ["dask[distributed,diagnostics]"],
        # Triton: the GPU kernels of astromorphic attention (a CUDA build of torch brings its own).
        "gpu": ["torch>=2.11", "triton>=3.6"],
        "test": ["pytest", "hypothesis", "torch>=2.11", "dask[distributed]", TRITON_INTERPRETER, *EXPORT],
        # NEST only makes the reference fixture and runs the side-by-side benchmark (not CI)
        "nest": ["nest-simulator==3.10.0"],
    },
    entry_points={"console_scripts": ["astrosim=astrosim.cli:main"]},
)
