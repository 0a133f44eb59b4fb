"""Run one training script under the prototype observer and stop it at the first optimizer step.

    python benchmarks/watch_hooks/capture_prototype.py sample_models/scripts/healthy/mlp_classifier.py [args...]

Prints the capture as one JSON line. The script runs as `__main__` with its own argv and its folder
as sys.path[0], exactly as `python script.py args...` would run it.
"""

import json
import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from observer import Observer, StopTraining


def capture(script: str, argv: list[str]) -> dict:
    observer = Observer(stop_at_first_step=True, script=script).install()
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [script, *argv]
    sys.path.insert(0, str(Path(script).resolve().parent))
    try:
        runpy.run_path(script, run_name="__main__")
        status = "finished without an optimizer step"
    except StopTraining:
        status = "stopped at the first optimizer step"
    finally:
        observer.uninstall()
        sys.argv, sys.path[:] = saved_argv, saved_path
    return {"status": status, **(observer.capture or {})}


if __name__ == "__main__":
    print(json.dumps(capture(sys.argv[1], sys.argv[2:])))
