"""Building the service in a serve process (``launch.build_app``), in a fresh process as
``serve`` and each of its workers do."""

import subprocess
import sys

BUILD = """
import sys
import jax
from movie_sentiment.service.launch import ServiceSpec, build_app
build_app(ServiceSpec({"nbsvm": sys.argv[1]}, (1_000_000, 10, 1_000)))
print(jax.config.read("jax_cpu_enable_async_dispatch"))
"""


def test_jax_runs_the_services_calls_on_the_calling_thread(nbsvm_run):
    """Before the first model loads, JAX's asynchronous CPU dispatch is turned off: each
    small call runs where it is made instead of being handed to JAX's threads and waited
    for (~0.15 ms of CPU a single-review request; benchmarks/service_workers.py)."""
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(nbsvm_run.bundle_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False"]
