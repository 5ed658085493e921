"""Written by envport translate: load the workspace translation as a verify candidate."""
import importlib.util, sys, uuid


def make_candidate(port):
    name = "_envport_workspace_" + uuid.uuid4().hex[:8]
    spec = importlib.util.spec_from_file_location(name, '/work/main/docs/runs/rlcard-uno/rlcard-uno-jax-20261205-234103/workspace/jax_env.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    if not hasattr(module, 'Uno'):
        raise AttributeError("jax_env.py defines no class Uno: the translation class must be called Uno")
    return getattr(module, 'Uno')()
