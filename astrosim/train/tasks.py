"""The trainable tasks: which data, which model and which default hyper-parameters each uses."""
import dataclasses

import numpy as np

__all__ = ["TASKS", "TASK_DEFAULTS", "PAPER_PRESETS", "load_task_data", "build_model", "settings_for"]

TASKS = ("imdb", "fashion-mnist", "cifar10", "sotu", "wikitext2")

# Our recipe (hyper-parameters chosen here; see docs/training.md). Model keys go to the config class.
TASK_DEFAULTS = {
    "imdb": {"epochs": 20, "batch_size": 64, "lr": 5e-4, "weight_decay": 0.05, "warmup": 0.05,
             "model": {"dim": 128, "heads": 4, "layers": 1, "dropout": 0.2},
             "data": {"max_len": 400, "vocab_size": 20_000}},
    "fashion-mnist": {"epochs": 10, "batch_size": 128, "lr": 1e-3, "weight_decay": 0.05, "warmup": 0.05,
                      "model": {"dim": 128, "heads": 4, "layers": 4, "dropout": 0.1, "patch_size": 2},
                      "data": {"crop_pad": 2, "flip": True}},
    "cifar10": {"epochs": 50, "batch_size": 128, "lr": 1e-3, "weight_decay": 0.05, "warmup": 0.05,
                "model": {"dim": 256, "heads": 8, "layers": 8, "dropout": 0.1, "patch_size": 2},
                "data": {"crop_pad": 4, "flip": True}},
    "sotu": {"epochs": 10, "batch_size": 32, "lr": 1e-3, "weight_decay": 0.1, "warmup": 0.05,
             "model": {"dim": 384, "heads": 6, "layers": 1, "dropout": 0.2},
             "data": {"seq_len": 256, "min_count": 3}},
    "wikitext2": {"epochs": 10, "batch_size": 32, "lr": 1e-3, "weight_decay": 0.1, "warmup": 0.05,
                  "model": {"dim": 384, "heads": 6, "layers": 1, "dropout": 0.2},
                  "data": {"seq_len": 256}},
}

# The paper's Tables S1-S3 (paper-notes §7.2); attention options from the 'paper' preset.
PAPER_PRESETS = {
    "imdb": {"epochs": 120, "batch_size": 64, "lr": 1e-5, "model": {"dim": 128, "heads": 4, "layers": 1},
             "data": {"max_len": 400}},
    "cifar10": {"epochs": 250, "batch_size": 32, "lr": 1e-3, "model": {"dim": 256, "heads": 8, "layers": 8}},
    "fashion-mnist": {"epochs": 250, "batch_size": 32, "lr": 1e-3, "model": {"dim": 256, "heads": 8, "layers": 8}},
    "wikitext2": {"epochs": 50, "batch_size": 24, "lr": 1e-5, "model": {"dim": 768, "heads": 6, "layers": 1},
                  "data": {"seq_len": 512}},
    "sotu": {"epochs": 50, "batch_size": 24, "lr": 1e-5, "model": {"dim": 768, "heads": 6, "layers": 1},
             "data": {"seq_len": 512}},
}


def settings_for(task, preset=None):
    """Merged defaults for ``task`` (the paper's table values on top when ``preset == 'paper'``)."""
    if task not in TASK_DEFAULTS:
        raise ValueError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    base = {k: (dict(v) if isinstance(v, dict) else v) for k, v in TASK_DEFAULTS[task].items()}
    if preset == "paper":
        for k, v in PAPER_PRESETS[task].items():
            if isinstance(v, dict):
                base[k].update(v)
            else:
                base[k] = v
    elif preset not in (None, "default"):
        raise ValueError(f"unknown preset {preset!r}; use 'paper' or leave it out")
    return base


def load_task_data(task, device, *, limit=None, limit_test=None, data_options=None, source=None, partition=None):
    """Build the device-resident dataset of ``task``; returns ``(data, meta)``.

    ``partition=(rank, world)`` (a DDP rank, world > 1) keeps only that rank's share on ``device``
    (:mod:`astrosim.train.sharded`).

    ``source`` points at local files instead of the cache: a ``reviews.json`` (imdb), a folder of
    IDX files (fashion-mnist), of address texts (sotu), of WikiText token files (wikitext2) or of
    the cached CIFAR-10 arrays.
    """
    from astrosim.train.batches import ClassificationData, LanguageModelData

    classification, language_model = ClassificationData, LanguageModelData
    if partition is not None and int(partition[1]) > 1:  # a DDP rank: only its share goes to the device
        from functools import partial

        from astrosim.train import sharded

        classification = partial(sharded.ShardedClassificationData, partition=partition)
        language_model = partial(sharded.ShardedLanguageModelData, partition=partition)
    opts = dict(data_options or {})
    if task == "imdb":
        from astrosim.data.imdb import load_imdb, prepare_imdb

        prepared = None
        if source is not None:
            import hashlib
            from pathlib import Path

            from astrosim.data.store import data_dir

            if Path(source).is_dir():
                prepared = source
            else:  # a reviews.json: prepare once into the cache, keyed by its path, size and time
                st = Path(source).stat()
                key = hashlib.sha1(f"{Path(source).resolve()}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:10]
                prepared = prepare_imdb(vocab_size=opts["vocab_size"], source=source,
                                        root=data_dir("imdb") / f"from-{key}", block=opts.get("block", 12_500))
        d = load_imdb(max_len=opts["max_len"], vocab_size=opts["vocab_size"], limit=limit, limit_test=limit_test,
                      prepared=prepared)
        meta = {"vocab_size": len(d["vocab"]), "max_len": opts["max_len"], "classes": 2,
                "tokenisation": "word level (lowercase words and punctuation), vocabulary from the training reviews"}
        data = classification(d["train"], d["test"], device, "text", token_dropout=opts.get("token_dropout", 0.0),
                              unk_id=d["vocab"].unk)
        return data, meta
    if task in ("fashion-mnist", "cifar10"):
        if task == "fashion-mnist":
            from astrosim.data.fashion_mnist import load_fashion_mnist as loader
            mean, std = 0.2860, 0.3530
        else:
            from astrosim.data.cifar10 import load_cifar10 as loader
            mean, std = (np.array([0.4914, 0.4822, 0.4465]), np.array([0.2470, 0.2435, 0.2616]))
        d = loader(limit=limit, limit_test=limit_test, folder=source)
        if isinstance(mean, np.ndarray):
            import torch

            mean = torch.tensor(mean, dtype=torch.float32, device=device).view(1, 3, 1, 1)
            std = torch.tensor(std, dtype=torch.float32, device=device).view(1, 3, 1, 1)
        x = d["train"][0]
        meta = {"classes": 10, "channels": int(x.shape[1]), "image_size": int(x.shape[2])}
        data = classification(d["train"], d["test"], device, "image", mean=mean, std=std,
                              crop_pad=opts.get("crop_pad", 0), flip=opts.get("flip", False))
        return data, meta
    if task in ("sotu", "wikitext2"):
        if opts.get("bpe"):
            from astrosim.data.lm_bpe import bpe_corpus

            if source is None:
                from astrosim.data.store import data_dir

                source = data_dir("sotu") / "texts" if task == "sotu" else data_dir("wikitext2") / "v1"
            d = bpe_corpus(task, source, opts["bpe"])
            d["vocab"] = range(d["meta"]["vocab_size"])
            tokenisation = d["meta"]["tokenisation"]
        elif task == "sotu":
            from astrosim.data.sotu import load_sotu

            d = load_sotu(folder=source, min_count=opts.get("min_count", 3))
            tokenisation = "word level: " + d["meta"]["tokenisation"]
        else:
            from astrosim.data.wikitext import load_wikitext2

            d = load_wikitext2(folder=source)
            tokenisation = "word level: WikiText tokens, <eos> after every line"
        seq = opts["seq_len"]
        train_ids, test_ids = d["train"], d["test"]
        if limit is not None:
            train_ids = train_ids[: limit * seq + 1]
        lt = limit_test if limit_test is not None else limit
        if lt is not None:
            test_ids = test_ids[: lt * seq + 1]
        unit = "BPE" if opts.get("bpe") else "word-level"
        meta = {"vocab_size": len(d["vocab"]), "seq_len": seq, "tokenisation": tokenisation,
                "perplexity": f"per {unit} token (exp of mean NLL over every test token after the first)"}
        return language_model(train_ids, test_ids, device, seq), meta
    raise ValueError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")


def _make(cls, values):
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(f"{cls.__name__}: no field(s) {unknown}; it has {sorted(names)}")
    return cls(**values)


def build_model(task, attention, meta, model_options, preset=None):
    """The task model from ``astrosim.models.transformers`` for ``attention`` with ``model_options``."""
    from astrosim.models import transformers as T

    opts = dict(model_options)
    attention_options = dict(opts.pop("attention_options", {}) or {})
    if preset == "paper":
        attention_options.setdefault("preset", "paper")
    common = {"attention": attention, "attention_options": attention_options, **opts}
    if task == "imdb":
        cfg = _make(T.TextClassifierConfig, {"vocab_size": meta["vocab_size"], "num_classes": 2,
                                             "max_len": meta["max_len"], **common})
        return T.TextClassifier(cfg)
    if task in ("fashion-mnist", "cifar10"):
        cfg = _make(T.ImageClassifierConfig, {"in_channels": meta["channels"], "image_size": meta["image_size"],
                                              "num_classes": meta["classes"], **common})
        return T.ImageClassifier(cfg)
    cfg = _make(T.CausalLMConfig, {"vocab_size": meta["vocab_size"], "max_len": meta["seq_len"], **common})
    return T.CausalLM(cfg)
