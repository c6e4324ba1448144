"""Training, evaluation and reporting of the Transformer task models (PyTorch imported on use)."""
__all__ = ["TrainConfig", "make_config", "run_training", "evaluate_run", "write_report"]


def __getattr__(name):
    import importlib

    homes = {"TrainConfig": "astrosim.train.loop", "make_config": "astrosim.train.session",
             "run_training": "astrosim.train.session", "evaluate_run": "astrosim.train.session",
             "write_report": "astrosim.train.report"}
    if name in homes:
        return getattr(importlib.import_module(homes[name]), name)
    raise AttributeError(f"module 'astrosim.train' has no attribute {name!r}")
