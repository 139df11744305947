"""tools/i18n_review.py: which messages of a translated catalogue a
native speaker still has to review, on a copy of the catalogues."""
import shutil
import subprocess

from e2elib import ROOT

TOOL = ROOT / "tools" / "i18n_review.py"


def review(root, *args):
    p = subprocess.run(["/usr/bin/python3", str(TOOL), "--root", str(root),
                        *args], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def listed(root, lang):
    return [line.split("\t")[:2] for line in
            review(root, lang).splitlines()]


def test_review_lists_what_changed_since(tmp_path):
    (tmp_path / "lib" / "lang").mkdir(parents=True)
    shutil.copy(ROOT / "lib" / "messages.tsv", tmp_path / "lib")
    for lang in ("ar", "fa", "so", "ru", "uk", "et", "se"):
        shutil.copy(ROOT / "lib" / "lang" / f"{lang}.tsv",
                    tmp_path / "lib" / "lang")
    n = len([line for line in (tmp_path / "lib" / "messages.tsv")
             .read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")])
    # Never reviewed: everything waits.
    got = listed(tmp_path, "so")
    assert len(got) == n and all(why == "new" for _, why in got)
    assert f"so\t{n} of {n} messages to review" in review(tmp_path,
                                                          "--summary")
    # Two messages reviewed, then the whole catalogue.
    assert "2 messages" in review(tmp_path, "so", "--mark", "form.title",
                                  "form.submit")
    assert len(listed(tmp_path, "so")) == n - 2
    review(tmp_path, "so", "--mark")
    assert listed(tmp_path, "so") == []
    assert "so\t0 of" in review(tmp_path, "--summary")
    # The English source of one message changes, and one translation is
    # edited without a review: those two wait again.
    src = tmp_path / "lib" / "messages.tsv"
    text = src.read_text(encoding="utf-8")
    src.write_text(text.replace("\tSend the tip\n", "\tSend your tip\n"),
                   encoding="utf-8")
    cat = tmp_path / "lib" / "lang" / "so.tsv"
    lines = cat.read_text(encoding="utf-8").splitlines()
    lines = [line + " (tusaale)" if line.startswith("form.title\t")
             else line for line in lines]
    cat.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert sorted(listed(tmp_path, "so")) == [["form.submit", "changed"],
                                              ["form.title", "changed"]]
    # Other catalogues are untouched by it.
    assert len(listed(tmp_path, "ar")) == n


def test_review_refuses_an_unknown_message(tmp_path):
    p = subprocess.run(["/usr/bin/python3", str(TOOL), "so", "--mark",
                        "no.such.message"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 1 and "no message no.such.message" in p.stderr
