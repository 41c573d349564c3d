"""``adscan extract FILE.jsonl``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command


def test_extract_command_writes_jsonl_and_skips_bad_lines(tmp_path):
    src = tmp_path / "ads.jsonl"
    src.write_text(
        "\n".join([
            json.dumps({"id": "a1", "text": "Nieuw in Utrecht! Bel 06-12345678, Lisa (19)"}),
            "{not json",
            json.dumps({"id": "a3", "text": 5}),
            json.dumps({"id": "a4", "text": "call 214 784 2976", "region": "US"}),
            json.dumps({"id": "a5", "text": "x", "region": "ZZ"}),
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    call_command("extract", str(src), stdout=out, stderr=err)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == ["a1", "a4"]
    assert rows[0]["phones_e164"] == ["+31612345678"]
    assert rows[0]["phones"][0]["raw"] == "06-12345678"
    assert {h["id"] for h in rows[0]["indicators"]} >= {"movement.new_in_town", "youth.young_age"}
    assert rows[1]["phones_e164"] == ["+12147842976"]
    assert (
        "line 2:" in err.getvalue() and "line 3:" in err.getvalue() and "line 5:" in err.getvalue()
    )
    assert "'ZZ'" in err.getvalue()


def test_extract_command_output_file(tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"id": 1, "text": "Telegram: @lisa_nl"}) + "\n", encoding="utf-8")
    call_command("extract", str(src), "-o", str(dst), stderr=io.StringIO())
    assert json.loads(dst.read_text(encoding="utf-8"))["handles"][0]["value"] == "telegram:lisa_nl"


def test_extract_command_unreadable_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="missing.jsonl"):
        call_command("extract", str(tmp_path / "missing.jsonl"))
