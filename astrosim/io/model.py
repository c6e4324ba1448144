"""Build the Brian2 groups of a file's stored model again (the check that the stored text is complete)."""
import numpy as np

__all__ = ["rebuild_groups", "ModelTextError"]


class ModelTextError(ValueError):
    """The model text stored in a file does not build a Brian2 object again."""


def _events(entry):
    events = {k[len("condition_"):]: v for k, v in entry.items() if k.startswith("condition_")}
    resets = {k[len("reset_"):]: v for k, v in entry.items() if k.startswith("reset_")}
    return events, resets


def rebuild_groups(models, parameters, check=True):
    """Brian2 objects built from ``models`` (``rec.metadata['model']``) and ``parameters``.

    NeuronGroup, PoissonGroup, SpikeGeneratorGroup (without its spike times) and Synapses
    (unconnected) are made from the stored text alone; with ``check`` their equations and
    code are unit-checked and generated (a zero-length Brian2 run with ``parameters`` as
    namespace). Raises `ModelTextError` naming the object whose text fails.
    """
    from brian2 import NeuronGroup, Network, PoissonGroup, SpikeGeneratorGroup, Synapses, ms, second

    namespace = dict(parameters or {})
    built = {}
    order = sorted(models, key=lambda n: models[n].get("type") == "Synapses")
    for name in order:
        entry = models[name]
        kind = entry.get("type")
        try:
            if kind == "NeuronGroup":
                events, resets = _events(entry)
                threshold = events.pop("spike", None)
                reset = resets.pop("spike", None)
                refractory = entry.get("refractory", False)
                built[name] = NeuronGroup(int(entry["N"]), entry.get("equations", ""), threshold=threshold,
                                          reset=reset, refractory=refractory, events=events or None,
                                          method=entry.get("method", ("exact", "euler", "heun")),
                                          namespace=namespace, name=name)
                for event, code in resets.items():
                    built[name].run_on_event(event, code)
            elif kind == "PoissonGroup":
                rates = entry["rates"]
                if rates.startswith("["):  # one rate per neuron, stored as '[r0, r1, ...]*second**-1'
                    from astrosim.protocols._base import parse_value

                    rates = parse_value(rates)
                built[name] = PoissonGroup(int(entry["N"]), rates=rates, namespace=namespace, name=name)
            elif kind == "SpikeGeneratorGroup":
                built[name] = SpikeGeneratorGroup(int(entry["N"]), np.zeros(0, int), np.zeros(0) * second, name=name)
            elif kind == "Synapses":
                pathways = {k[3:]: v for k, v in entry.items() if k.startswith("on_")}
                on_pre = pathways.pop("pre", None)
                on_post = pathways.pop("post", None)
                extra = {k.split("_", 1)[1]: v for k, v in pathways.items()}
                if extra and on_pre is not None:
                    on_pre = {"pre": on_pre, **{k: v for k, v in extra.items()}}
                source, target = built[entry["source"]], built[entry["target"]]
                built[name] = Synapses(source, target, entry.get("equations", ""), on_pre=on_pre,
                                       on_post=on_post, method=entry.get("method", ("exact", "euler", "heun")),
                                       namespace=namespace, name=name)
                built[name].connect(i=0, j=0)  # one synapse: enough to generate all of its code
            else:
                continue
        except KeyError as err:
            raise ModelTextError(f"model of '{name}': needs {err.args[0]!r}, which the file does not hold") from None
        except Exception as err:  # noqa: BLE001 - Brian2 raises many kinds for bad model text
            raise ModelTextError(f"model of '{name}' ({kind}) does not build again: "
                                 f"{type(err).__name__}: {' '.join(str(err).split())}") from err
    if check and built:
        from brian2 import prefs

        net = Network(*built.values())
        target, prefs.codegen.target = prefs.codegen.target, "numpy"
        try:
            net.run(0 * ms, namespace=namespace)
        except Exception as err:  # noqa: BLE001
            from astrosim.cli._errors import explain

            raise ModelTextError(f"stored model does not run again: {explain(err)}") from err
        finally:
            prefs.codegen.target = target
    return built
