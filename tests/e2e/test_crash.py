"""kill -9 with 50 tips in flight: every receipt a client got is for a
stored tip, and nothing half-stored is left."""
import signal
import time

from e2elib import free_port, set_key
from tiplib import (RECEIPT_RE, code_is_valid, counts, file_arg,
                    receipt_code, sample, status_lookup, submit_bg,
                    tip_fields, tip_row)

N = 50


def test_kill_9_with_tips_in_flight(keys_dir, pg, start_intake, workdir):
    port = free_port()
    text, _ = set_key(keys_dir.abs_text(), "intake", "max_uploads", "64")
    conf = keys_dir.variant(workdir, port=port, text=text)
    it = start_intake(conf, port, name="before-kill.log")
    before = counts(pg)

    shot = sample("plain.png")
    # Every third client uploads slowly (about 3 s for its file), so some
    # requests are surely still in flight when the daemon dies.
    slow_rate = max(1000, shot.stat().st_size // 3)
    clients = []
    for i in range(N):
        files = [file_arg("plain.png", f"s{i}.png")] if i % 2 else []
        extra = ["--limit-rate", str(slow_rate)] if i % 3 == 0 else []
        clients.append(submit_bg(
            it.url, tip_fields(description=f"crash test tip {i}"),
            workdir / f"c{i}", files, extra=extra, max_time=20))

    # Kill once a handful have their receipt, or after 5 s at most.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        done = sum(1 for c in clients if c.body.exists() and
                   b'id="receipt-code"' in c.body.read_bytes())
        if done >= 8:
            break
        time.sleep(0.02)
    it.proc.send_signal(signal.SIGKILL)
    assert it.stop() == -signal.SIGKILL

    results = [c.result() for c in clients]
    codes, unanswered, other = [], 0, []
    for r in results:
        if r.rc == 0 and r.status == 200:
            c = receipt_code(r.text)
            assert code_is_valid(c), c
            codes.append(c)
        elif r.status == 0:
            unanswered += 1
        elif r.status == 200:
            # The answer was cut off by the kill: the tip was committed
            # (the page is only sent after COMMIT), but the client may
            # not have got its code. Whatever code did arrive is checked.
            unanswered += 1
            m = RECEIPT_RE.search(r.text)
            if m and code_is_valid(m.group(1)):
                codes.append(m.group(1))
        else:
            other.append(r.status)
    assert codes, "no client got a receipt before the kill"
    assert unanswered > 0, "every request was answered before the kill: " \
        "the test killed nothing in flight"
    assert set(other) <= {503}, other

    it2 = start_intake(conf, port, name="after-kill.log")
    for c in codes:
        r = status_lookup(it2.url, c)
        assert r.status == 200 and 'class="status-result"' in r.text, \
            f"received code {c} not found after restart: {r.status}"
        tip = tip_row(pg, keys_dir, c)
        assert tip is not None
        assert len(tip["attachments"]) == tip["nattachments"]
        assert [j["kind"] for j in tip["jobs"]] == ["ingest"]
    after = counts(pg)
    assert after[0] - before[0] >= len(codes)

    # Over the whole database: no tip half stored.
    bad = pg.psql(
        "SELECT t.id, t.nattachments, "
        "(SELECT count(*) FROM attachment a WHERE a.tip_id = t.id), "
        "(SELECT count(*) FROM job j WHERE j.tip_id = t.id "
        "AND j.kind = 'ingest') FROM tip t WHERE t.nattachments <> "
        "(SELECT count(*) FROM attachment a WHERE a.tip_id = t.id) OR "
        "(SELECT count(*) FROM job j WHERE j.tip_id = t.id "
        "AND j.kind = 'ingest') <> 1")
    assert bad.strip() == "", bad
    orphans = pg.psql(
        "SELECT (SELECT count(*) FROM attachment a WHERE NOT EXISTS "
        "(SELECT 1 FROM tip t WHERE t.id = a.tip_id)), "
        "(SELECT count(*) FROM job j WHERE j.tip_id IS NOT NULL AND NOT "
        "EXISTS (SELECT 1 FROM tip t WHERE t.id = j.tip_id))")
    assert orphans.split() == ["0", "0"], orphans
    # Tips stored but never acknowledged are possible (COMMIT done, the
    # answer lost with the process); they are whole like the others.
    assert after[1] - before[1] <= N and after[2] - before[2] == \
        after[0] - before[0]
