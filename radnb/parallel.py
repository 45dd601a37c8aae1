"""Run independent per-case tasks serially or on a Dask cluster.

:func:`get_client` returns a ``dask.distributed.Client``: a local cluster of
single-threaded worker *processes* sized to the machine (PyRadiomics holds the
GIL), an existing ``Client``, or a client connected to a scheduler address, so
the same call runs on a laptop, an HPC queue (dask-jobqueue) or Kubernetes
(dask-kubernetes). :func:`run_tasks` maps a function over tasks on either path
with a tqdm progress bar and yields results as they finish.

Workers started here are tuned for image work (measured in FACTS.md): each
worker runs one task at a time, SimpleITK / OpenMP / BLAS use one thread, and
PyRadiomics is imported once per worker by a worker plugin rather than per
task. If a worker process dies mid-task (killed, out of memory), the scheduler
re-runs its tasks on another worker (``distributed.scheduler.allowed-failures``,
default 3); a task that keeps killing workers comes back as an error.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from radnb.errors import MissingDependencyError

__all__ = ["get_client", "close_local_client", "run_tasks", "default_n_workers", "TaskFailed"]

_LOCAL: dict[str, Any] = {}

#: Environment of local worker processes (set before they start).
WORKER_ENV = {
    "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


#: With ``client=None`` radnb starts a local cluster only on machines with at least this
#: many cores. On two cores (mybinder.org, small VMs, CI runners) the cluster's start-up
#: (~3 s) and its worker processes (~0.4-0.5 GB each, every one importing the scientific
#: stack) cost more than the second core gives back: notebook 06's internal validation
#: took 11.7 s serially and 12 s on a 2-worker cluster, which added 1 GB of memory
#: (benchmarks/RESULTS.md). ``client="local"`` still asks for the cluster.
AUTO_MIN_CORES = 3


class TaskFailed(Exception):
    """A task could not finish on the cluster (e.g. it killed its workers repeatedly)."""


def default_n_workers() -> int:
    """Number of CPU cores available to this process (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return max(1, os.cpu_count() or 1)


def _init_worker() -> None:
    """Per-process set-up: one SimpleITK thread, PyRadiomics imported and quiet."""
    import logging

    try:
        import SimpleITK as sitk

        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
    except ImportError:  # pragma: no cover
        pass
    try:
        import radiomics

        radiomics.setVerbosity(logging.ERROR)
        import radiomics.featureextractor  # noqa: F401
    except ImportError:  # pragma: no cover
        pass


def _plugin():
    from distributed import WorkerPlugin

    class RadnbWorkerSetup(WorkerPlugin):
        name = "radnb-worker-setup"

        def setup(self, worker):  # noqa: D401 - dask hook
            _init_worker()

    return RadnbWorkerSetup()


def get_client(
    client: Any = None,
    *,
    n_workers: int | None = None,
    threads_per_worker: int = 1,
    **cluster_kws: Any,
):
    """A ``dask.distributed.Client`` for radnb's parallel steps.

    Parameters
    ----------
    client : None, "local", Client or str
        ``None`` / ``"local"``: a local cluster of worker processes, started once
        per Python session and reused (see :func:`close_local_client`). A
        ``Client``: used as is. A string such as ``"tcp://10.0.0.5:8786"``: a
        client connected to that scheduler (an HPC or Kubernetes cluster).
    n_workers : int, optional
        Worker processes of the local cluster (default: the number of cores).
    threads_per_worker : int
        Threads per local worker (1: PyRadiomics is single-threaded per case).
    **cluster_kws
        Passed to ``distributed.LocalCluster``.

    Examples
    --------
    >>> from radnb.parallel import get_client, close_local_client
    >>> from radnb.parallel import default_n_workers
    >>> default_n_workers() >= 1  # the size of the default local cluster
    True

    A cluster elsewhere: ``get_client("tcp://scheduler:8786")``; a Client of
    dask-jobqueue or dask-kubernetes: ``get_client(client)``.
    """
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - optional extra
        raise MissingDependencyError(
            "dask[distributed]", "parallel", "parallel extraction"
        ) from exc
    if isinstance(client, Client):
        _register_setup(client)
        return client
    if isinstance(client, str) and client != "local":
        c = Client(client)
        _register_setup(c)
        return c
    if client not in (None, "local"):
        raise TypeError(f"client must be None, 'local', a Client or an address, not {client!r}")
    n = int(n_workers or default_n_workers())
    key = (n, int(threads_per_worker), tuple(sorted(cluster_kws.items())))
    cached = _LOCAL.get("client")
    if cached is not None and _LOCAL.get("key") == key and cached.status == "running":
        return cached
    close_local_client()
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
    # Dask sets MALLOC_TRIM_THRESHOLD_=65536 to return memory eagerly; measured here it
    # costs ~6% CPU per radiomics case (page faults), so the local cluster leaves glibc's
    # default. Memory is still bounded by the per-worker memory limit.
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    environ.update(WORKER_ENV)
    with dask.config.set(
        {
            "distributed.nanny.pre-spawn-environ": environ,
            "distributed.worker.daemon": False,
        }
    ):
        kws = dict(
            n_workers=n,
            threads_per_worker=int(threads_per_worker),
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        kws.update(cluster_kws)
        cluster = LocalCluster(**kws)
    c = Client(cluster)
    _register_setup(c)
    _LOCAL.update(client=c, cluster=cluster, key=key)
    return c


def _register_setup(client) -> None:
    try:
        client.register_plugin(_plugin(), name="radnb-worker-setup")
    except Exception:  # pragma: no cover - old clusters without plugin support
        client.run(_init_worker)


def close_local_client() -> None:
    """Shut down the local cluster started by :func:`get_client`, if any."""
    c = _LOCAL.pop("client", None)
    cluster = _LOCAL.pop("cluster", None)
    _LOCAL.pop("key", None)
    if c is not None:
        c.close()
    if cluster is not None:
        cluster.close()


def _use_serial(client: Any, n_workers: int | None, n_tasks: int, min_tasks: int) -> bool:
    if client == "serial" or n_workers == 1:
        return True
    if client is not None and client != "local":
        return False
    if n_tasks < min_tasks:
        return True
    if client is None and n_workers is None and default_n_workers() < AUTO_MIN_CORES:
        return True
    try:
        import distributed  # noqa: F401
    except ImportError:
        return True
    return False


def run_tasks(
    func: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    client: Any = None,
    n_workers: int | None = None,
    progress: bool = True,
    desc: str | None = None,
    min_tasks: int = 4,
    priority: Sequence[float] | None = None,
) -> Iterator[tuple[int, Any]]:
    """Apply ``func`` to each task; yield ``(index, result)`` as tasks finish.

    A task whose function raises yields ``(index, exception)`` instead, so one
    bad case never stops the others; ``KeyboardInterrupt`` stops the run.

    Parameters
    ----------
    func : callable
        A module-level function (it is pickled to the workers).
    tasks : sequence
    client : None, "serial", "local", Client or address
        The meaning of ``client=`` in every cohort-level call of radnb.
        ``"serial"`` (or ``n_workers=1``) runs in this process. ``None`` lets
        radnb choose: a local Dask cluster, except for fewer than ``min_tasks``
        tasks (the step's threshold), on a machine with fewer than
        :data:`AUTO_MIN_CORES` cores (without ``n_workers``), or when Dask is
        not installed (serial then). ``"local"`` is the local cluster even without Dask's auto rule
        (still serial below ``min_tasks``); a Client or an address is that
        cluster.
    progress : bool
        The meaning of ``progress=`` in every cohort-level call of radnb
        (``extract_radiomics``, ``extract_deep_features``, ``habitat_features``,
        ``HabitatModel.fit`` / ``transform``): ``True`` shows one tqdm bar
        (notebook or terminal) for the call, ``False`` shows none; results and
        errors never depend on it. The long extractions default to ``True``,
        the habitat steps to ``False``. ``extract_deep_features`` has no
        ``client=``: it runs batched on one device (``device=``).
    priority : sequence of float, optional
        Higher runs first (e.g. image size, so the longest cases start early).

    Examples
    --------
    >>> sorted(run_tasks(abs, [-1, -2], client="serial", progress=False))
    [(0, 1), (1, 2)]
    """
    from tqdm.auto import tqdm

    n = len(tasks)
    bar = tqdm(total=n, desc=desc, disable=not progress or n == 0, unit="task")
    try:
        if _use_serial(client, n_workers, n, min_tasks):
            order = range(n)
            if priority is not None:
                order = sorted(range(n), key=lambda i: -priority[i])
            _init_worker_threads_serial()
            for i in order:
                try:
                    out = func(tasks[i])
                except Exception as exc:  # noqa: BLE001 - reported per task
                    out = exc
                bar.update(1)
                yield i, out
            return
        yield from _run_dask(func, tasks, client, n_workers, bar, priority)
    finally:
        bar.close()


def _init_worker_threads_serial() -> None:
    # The serial path keeps SimpleITK's own threading (it uses the idle cores).
    import logging

    try:
        import radiomics

        radiomics.setVerbosity(logging.ERROR)
    except ImportError:  # pragma: no cover
        pass


def _run_dask(func, tasks, client, n_workers, bar, priority):
    from distributed import as_completed

    c = get_client(client, n_workers=n_workers)
    n = len(tasks)
    prio = list(priority) if priority is not None else [0.0] * n
    # rank -> integer priorities (dask runs higher first)
    ranks = {i: r for r, i in enumerate(sorted(range(n), key=lambda i: prio[i]))}
    futures = {}
    for i in range(n):
        fut = c.submit(func, tasks[i], pure=False, priority=ranks[i], retries=1)
        futures[fut] = i
    try:
        for fut in as_completed(list(futures)):
            i = futures[fut]
            try:
                out = fut.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker, errors
                name = type(exc).__name__
                if name == "KilledWorker":
                    out = TaskFailed(
                        "the worker process died repeatedly on this case "
                        "(out of memory? a crash in a native library?)"
                    )
                else:
                    out = exc
            bar.update(1)
            yield i, out
    finally:
        for fut in futures:
            if not fut.done():
                fut.cancel()
        if isinstance(client, str) and client != "local":
            c.close()  # a client this call opened for a scheduler address
