"""Shared set-up for benchmarks: a throwaway database, migrated, from a URL.

``--database-url sqlite`` (default) makes a fresh SQLite file in a temporary
directory; ``--database-url postgres`` makes a throwaway database on the local
PostgreSQL (``postgres://postgres@127.0.0.1:5432``), dropped at the end.
"""

import atexit
import os
import shutil
import subprocess
import tempfile
import time

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432"


def setup_database(url: str, name: str, *, keep: bool = False, server: str = LOCAL_POSTGRES) -> str:
    """Point Django at a fresh database, migrate it, return its URL."""
    if url == "sqlite":
        folder = tempfile.mkdtemp(prefix="robinet-bench-")
        url = f"sqlite:///{folder}/bench.sqlite3"
        if not keep:
            atexit.register(shutil.rmtree, folder, True)
    elif url == "postgres":
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True
        )
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        url = f"{server}/{name}"
        if not keep:
            atexit.register(_drop_postgres, name)
    os.environ["ROBINET_DATABASE_URL"] = url
    os.environ.setdefault("ROBINET_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robinet.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def _drop_postgres(name: str) -> None:
    from django.db import connections

    connections.close_all()  # dropdb refuses a database still in use
    subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=False
    )


def billing_utility(customers: int, today) -> None:
    """The demo utility with two years of readings, its tariffs, thresholds, social tariffs
    and the takeover of the earlier billing: ready for a billing run (prints what it did)."""
    import time

    from django.db import connection

    from robinet.demo import billing as demo_billing
    from robinet.demo.generator import generate

    started = time.perf_counter()
    summary = generate(customers=customers, today=today, readings=True)
    print(
        f"generated {customers:,} customers, {summary.rows:,} rows "
        f"in {time.perf_counter() - started:.1f} s"
    )
    mark = time.perf_counter()
    social, takeover = demo_billing.ready_to_bill(today)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"tariffs, thresholds, {social:,} social tariffs, {takeover:,} contracts taken over "
        f"in {time.perf_counter() - mark:.1f} s"
    )


def run_threads_for(threads, stop, seconds: float) -> float:
    """Start ``threads``, let them work ``seconds``, set ``stop``, join them: the elapsed time."""
    import time

    mark = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return time.perf_counter() - mark


def percentile(sorted_values: list[float], p: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


class ForkedExecutor:
    """N forked workers take a run's pending chunks from one queue (as N Celery workers
    would: whichever is free takes the next), each on its own connection; the parent then
    finishes the run. ``prepare``, if given, runs in each worker before its first chunk;
    ``collect`` after its last, and what it returns (picklable) is kept in
    :attr:`collected`."""

    def __init__(self, processes: int, *, prepare=None, collect=None) -> None:
        self.processes = processes
        self.prepare = prepare
        self.collect = collect
        self.collected: list = []

    def submit(self, run) -> None:
        import multiprocessing

        from django.db import connections

        from robinet.core.runs import _pending_chunk_indexes, run_finish

        label = run._meta.label_lower
        indexes = list(_pending_chunk_indexes(run))
        connections.close_all()  # each child opens its own
        context = multiprocessing.get_context("fork")
        pending, results = context.Queue(), context.Queue()
        for index in indexes:
            pending.put(index)
        for _ in range(self.processes):
            pending.put(None)  # one end mark per worker
        workers = [
            context.Process(
                target=_chunks,
                args=(label, run.pk, pending, results, self.prepare, self.collect),
            )
            for _ in range(self.processes)
        ]
        for worker in workers:
            worker.start()
        self.collected = [results.get() for _ in workers]
        for worker in workers:
            worker.join()
        run_finish(run=run)


def _chunks(label: str, run_id: int, pending, results, prepare, collect) -> None:
    from django.db import connections

    from robinet.core.runs import execute_chunk

    if prepare is not None:
        prepare()
    while (index := pending.get()) is not None:
        execute_chunk(label, run_id, index)
    results.put(collect() if collect is not None else None)
    connections.close_all()


def generated_utility(customers: int, today, url: str) -> None:
    """Generate the demo utility without readings on the benchmark's database, saying
    where and how long it took (the untimed set-up of the collection benchmarks)."""
    from django.db import connection

    from robinet.demo.generator import generate

    print(f"database: {connection.vendor} ({url})")
    started = time.perf_counter()
    generate(customers=customers, today=today, readings=False)
    print(f"generated {customers:,} customers in {time.perf_counter() - started:.1f} s")
