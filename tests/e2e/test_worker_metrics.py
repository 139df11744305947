"""The worker's Prometheus counters: plain HTTP on a loopback address
only, counting what the log reports, once per arrival period, and nothing
of any tip."""
import re
import subprocess
import time

import worklib
from e2elib import free_port, set_key
from worklib import WORKER_BIN, insert_tips, wait_jobs_done

start_worker = worklib.start_worker
wenv = worklib.wenv


def get(url, method="GET"):
    p = subprocess.run(["curl", "-s", "-X", method, "-o", "-", "-w",
                        "\n%{http_code}", url], capture_output=True,
                       text=True, timeout=10)
    body, _, status = p.stdout.rpartition("\n")
    return int(status), body


def metric(text, name):
    m = re.search(rf"(?m)^{re.escape(name)} (\d+)$", text)
    assert m, f"no {name} in:\n{text}"
    return int(m.group(1))


def test_metrics_count_jobs(wenv, start_worker):
    """Counters move at the boundaries of the arrival periods only
    ([privacy] arrival_truncate, here a minute): a scrape between two
    shows what the last boundary counted."""
    port = free_port()
    conf = wenv.write_conf("metrics.ini",
                           settings={"metrics": f"127.0.0.1:{port}"})
    text, _ = set_key(conf.read_text(), "privacy", "arrival_truncate",
                      "1min")
    conf.write_text(text)
    w = start_worker(conf, name="w.log")
    url = f"http://127.0.0.1:{port}"
    status, text = get(url + "/metrics")
    assert status == 200, text
    assert metric(text, 'tipline_jobs_total{result="done"}') == 0
    assert metric(text, "tipline_db_connections") == 4

    before = int(time.time() // 60)
    insert_tips(wenv, [{"description": f"metrics test tip {i}",
                        "url": "https://x.com/u/status/8500000000000000001"}
                       for i in range(5)])
    wait_jobs_done(wenv.db, timeout=20, workers=[w])
    status, text = get(url + "/metrics")
    assert status == 200
    if int(time.time() // 60) == before:
        assert metric(text, 'tipline_jobs_total{result="done"}') == 0, \
            "counted before the period's boundary"
    # The next boundary counts them.
    deadline = time.monotonic() + 90
    while metric(text, 'tipline_jobs_total{result="done"}') < 5:
        assert time.monotonic() < deadline, text
        time.sleep(0.2)
        status, text = get(url + "/metrics")
    assert metric(text, 'tipline_jobs_total{result="done"}') == 5
    assert metric(text, 'tipline_jobs_total{result="failed"}') == 0
    assert 0 <= metric(text, "tipline_jobs_running") <= 5
    assert metric(text, "tipline_screenshots_unread") == 0
    assert 1 <= metric(text, "tipline_ingest_batches_total") <= 5
    assert "metrics test" not in text and "8500000000000000001" not in text
    assert "arrival_truncate" in text
    # Only GET /metrics (libevent answers other methods 501).
    assert get(url + "/other")[0] == 404
    assert get(url + "/metrics", "POST")[0] == 501


def test_metrics_refuse_other_addresses(wenv):
    for addr in ("0.0.0.0:9100", "192.0.2.1:9100", "[::]:9100"):
        conf = wenv.write_conf("bad.ini", settings={"metrics": addr})
        p = subprocess.run([str(WORKER_BIN), "-c", str(conf)],
                           capture_output=True, text=True, timeout=20)
        assert p.returncode == 2, (addr, p.stderr)
        assert "is not a loopback address" in p.stderr, p.stderr
