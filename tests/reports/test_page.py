"""The page: escaped text, safe JSON inside scripts, one box per figure."""

from __future__ import annotations

import json

from reports import charts
from reports.blocks import Card, Cards, Code, Figure, Section, Table, Text
from reports.page import render, script_json


def test_script_json_has_no_characters_that_end_a_script() -> None:
    text = script_json({"name": "</script><b>&\u2028"})

    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><b>&\u2028"}


def test_every_block_is_escaped() -> None:
    evil = "<img src=x onerror=alert(1)>"
    section = Section("s", evil, [
        Text(evil), Text(evil, "verdict"), Text(evil, "code"), Cards([Card(evil, evil, evil)]),
        Table("t", evil, [evil], [[evil]], collapsed=True), Code(evil, evil)], number=3)

    page = render(evil, evil, [section], "/* library */")

    # title and heading, subtitle, nav, h2, three texts, three card lines, the table's
    # summary, caption, header and cell, the code's summary and text
    assert evil not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 17


def test_figures_get_numbered_boxes_and_one_data_block() -> None:
    figure = charts.figure("<b>title</b>")
    section = Section("s", "S", [Figure("a", figure), Figure("b", charts.figure("two"))],
                      number=1)

    page = render("T", "", [section], "/* library */")

    assert '<div class="figure" id="figure-1" data-slug="a">' in page
    assert '<div class="figure" id="figure-2" data-slug="b">' in page
    assert 'data-figures="2"' in page
    data = page.split('id="figure-data">', 1)[1].split("</script>", 1)[0]
    specs = json.loads(data)
    assert [spec["id"] for spec in specs] == ["figure-1", "figure-2"]
    assert specs[0]["layout"]["title"]["text"] == "&lt;b&gt;title&lt;/b&gt;"


def test_the_library_cannot_end_its_own_script_early() -> None:
    page = render("T", "", [], "var s = '</script>';")

    assert "var s = '<\\/script>';" in page
