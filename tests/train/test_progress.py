"""The progress bar prints sparse lines when its stream is not a terminal."""
import io

from astrosim.train.progress import Progress


def test_progress_lines_without_terminal():
    out = io.StringIO()
    bar = Progress(20, "task", stream=out)
    for _ in range(20):
        bar.update(1, postfix="loss 0.5")
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("task [" + "#" * 24 + "] 20/20")
    assert "loss 0.5" in lines[-1]
    silent = io.StringIO()
    Progress(5, stream=silent, enabled=False).update(5)
    assert silent.getvalue() == ""
