/**
 * The script startlocalrun puts in its zip: `python3 azureml_local_run.py` runs the definition's
 * script from project/ with its arguments and environment variables, as the emulator would.
 */
export const LOCAL_RUN_SCRIPT = `#!/usr/bin/env python3
"""Runs the run definition of definition.json on this machine.

Usage: python3 azureml_local_run.py   (from the folder this zip was extracted to)
The project's files are in project/; the script runs there, with the definition's arguments and
environment variables. The exit code is the script's.
"""
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "definition.json"), encoding="utf-8") as f:
    definition = json.load(f)
config = definition.get("configuration") or {}
script = config.get("script")
if not script:
    sys.exit("definition.json has no configuration.script")
project = os.path.join(here, "project")
os.makedirs(project, exist_ok=True)
env = dict(os.environ)
env.update((config.get("environment") or {}).get("environmentVariables") or {})
env["PYTHONUNBUFFERED"] = "1"
interpreter = "node" if script.endswith(".js") else sys.executable
args = [interpreter, script] + [str(a) for a in (config.get("arguments") or [])]
sys.exit(subprocess.call(args, cwd=project, env=env))
`;
