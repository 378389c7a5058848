"""tools/cell_memory.py: the /proc readings and the report that names which cells raise a chapter's peak."""

import importlib.util
import os
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "cell_memory.py"
spec = importlib.util.spec_from_file_location("cell_memory", TOOL)
cell_memory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cell_memory)

linux = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads /proc (Linux)")


@linux
def test_proc_memory_sees_an_allocation_and_the_peak_survives_freeing_it():
    rss0, _ = cell_memory.proc_memory(os.getpid())
    block = bytearray(200 * 1024 * 1024)  # 200 MB, touched page by page below
    for i in range(0, len(block), 4096):
        block[i] = 1
    rss1, peak1 = cell_memory.proc_memory(os.getpid())
    del block
    rss2, peak2 = cell_memory.proc_memory(os.getpid())
    assert rss1 - rss0 >= 150
    assert peak1 >= rss1 and peak2 >= rss1 - 5  # the high-water mark keeps the freed block
    assert rss2 < rss1 - 150


@linux
def test_reset_peak_lowers_the_high_water_mark_to_the_current_size():
    block = bytearray(150 * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    del block
    rss, peak = cell_memory.proc_memory(os.getpid())
    if not cell_memory.reset_peak(os.getpid()):
        pytest.skip("clear_refs not writable here")
    rss_after, peak_after = cell_memory.proc_memory(os.getpid())
    assert peak_after < peak - 100
    assert peak_after >= rss_after


def test_report_lists_cells_that_raise_the_running_peak_and_the_largest():
    rows = [{"index": 1, "seconds": 2.0, "rss_mb": 500, "peak_mb": 500, "source": "import helpers"},
            {"index": 3, "seconds": 60.0, "rss_mb": 900, "peak_mb": 1800, "source": "train()"},
            {"index": 5, "seconds": 1.0, "rss_mb": 900, "peak_mb": 950, "source": "plot()"},
            {"index": 7, "seconds": 30.0, "rss_mb": 1000, "peak_mb": 2100, "source": "score()"}]
    text = cell_memory.report(rows, top=2)
    raised, largest = text.split("largest")
    assert "plot()" not in raised and "score()" in raised and "train()" in raised
    assert largest.index("score()") < largest.index("train()") and "import helpers" not in largest
    assert "peak 2100 MB" in text and "1.6 min" in text  # 93 s


def test_first_line_skips_blank_lines_and_shortens():
    class Cell:
        source = "\n\n   x = train_model(" + "a" * 100 + ")\n"
    assert cell_memory.first_line(Cell()).startswith("x = train_model(") and len(cell_memory.first_line(Cell())) == 70


def test_main_refuses_off_linux(monkeypatch, capsys, tmp_path):
    real = Path.is_file
    monkeypatch.setattr(Path, "is_file", lambda self: False if str(self) == "/proc/self/status" else real(self))
    assert cell_memory.main([str(tmp_path / "x.ipynb")]) == 2
    assert "needs Linux" in capsys.readouterr().out
