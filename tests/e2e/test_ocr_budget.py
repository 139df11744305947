"""[worker] ocr_tip_time_limit: a tip's screenshots are read within one
time budget for the tip, so that five large ones cannot take five times
ocr_time_limit.  A budget of 0 reads none: the tip is still ingested with
its image keys, and no screenshot's text or text key is kept.  Nothing
here depends on how long a reading takes."""
from e2elib import ROOT, set_key
from tiplib import tip_fields
import worklib
from worklib import submit_tip, wait_tip

# Fixtures (see worklib).
wenv = worklib.wenv
start_worker = worklib.start_worker

OCR_DATA = ROOT / "tests" / "data" / "ocr"


def conf(wenv, name, budget):
    p = wenv.write_conf(name, settings={"ocr_tip_time_limit": budget,
                                        "lease": "120s"})
    text, _ = set_key(p.read_text(), "log", "level", "debug")
    p.write_text(text)
    return p


def send(wenv, worker, n):
    f = tip_fields(lang="fi", platform="telegram", url="",
                   description=f"Kuvakaappaukset {n}: katso liitteet.",
                   motive=["ethnic"])
    shots = [(OCR_DATA / "post_fi_a.png", f"{n}a.png", "image/png"),
             (OCR_DATA / "feed.png", f"{n}b.png", "image/png")]
    return wait_tip(wenv, submit_tip(wenv, f, shots), timeout=180,
                    workers=[worker])


def texts_kept(wenv, tip_id):
    return wenv.db.one("SELECT count(*) FROM attachment WHERE tip_id = %s "
                       "AND sealed_text IS NOT NULL", (tip_id,))


def near_keys(wenv, tip_id, kind):
    return wenv.db.one("SELECT count(*) FROM near_key WHERE tip_id = %s "
                       "AND kind = %s", (tip_id, kind))


def test_no_budget_reads_no_screenshot(wenv, start_worker):
    w = start_worker(conf(wenv, "worker-ocr0.ini", "0"))
    t = send(wenv, w, 1)
    assert t["matched"] == "new", t
    assert texts_kept(wenv, t["tip_id"]) == 0
    assert near_keys(wenv, t["tip_id"], "screenshot_text") == 0
    # Ingested and deduplicated by its other keys all the same.
    assert near_keys(wenv, t["tip_id"], "image") == 2
    w.wait_log(r"job=\d+ kind=ingest OCR time of the tip ran out: "
               r"2 of 2 screenshots not read")
    w.check_stopped_cleanly(w.stop())

    # The same screenshots under the default budget are read.
    w = start_worker(conf(wenv, "worker-ocr.ini", "30s"))
    t = send(wenv, w, 2)
    assert texts_kept(wenv, t["tip_id"]) == 2
    assert "OCR time of the tip ran out" not in w.log()
    w.check_stopped_cleanly(w.stop())
