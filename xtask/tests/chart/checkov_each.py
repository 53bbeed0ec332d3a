"""Runs checkov's Kubernetes checks on each manifest named on the command line, as a scan of its
own, and prints one JSON line per manifest: {"file": path, "report": checkov's JSON report}.

Why not the checkov command: each scan must see one manifest only (checkov's graph checks, such
as CKV2_K8S_6 "a NetworkPolicy selects this Pod", join resources across all the files of a
scan, so one render's policy would vouch for another render's Pod), and starting checkov once
per manifest costs seconds of imports each. checkov 3.3.30's `--directory A --directory B`
reports A's results again for B. So: one import, a fresh Runner per manifest. The chart tests
check that this gives what the checkov command gives.

Usage: python checkov_each.py SKIPPED_CHECK[,CHECK...] MANIFEST...
"""

import json
import sys

from checkov.kubernetes.runner import Runner
from checkov.runner_filter import RunnerFilter


def main() -> None:
    skip_checks = sys.argv[1].split(",")
    for path in sys.argv[2:]:
        runner_filter = RunnerFilter(framework=["kubernetes"], skip_checks=skip_checks)
        report = Runner().run(root_folder=None, files=[path], runner_filter=runner_filter)
        print(json.dumps({"file": path, "report": report.get_dict()}), flush=True)


if __name__ == "__main__":
    main()
