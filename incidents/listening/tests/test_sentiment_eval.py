"""``manage.py sentiment_eval``: metrics on a small CSV, clear errors on a bad one."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incidents.listening.sentiment_eval import metrics


class AlwaysNegative:
    def score(self, text, language=""):
        return -0.9


def _csv(tmp_path, body, header="id,language,label,text"):
    path = tmp_path / "corpus.csv"
    path.write_text(header + "\n" + body, encoding="utf-8")
    return str(path)


def test_metrics_by_hand():
    m = metrics(["negative", "negative", "neutral", "positive"], ["negative", "neutral", "neutral", "negative"])
    assert m["accuracy"] == pytest.approx(0.5)
    # F1: negative 2*0.5*0.5/1=0.5, neutral 2*0.5*1/1.5=2/3, positive 0
    assert m["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    assert m["matrix"]["negative"] == {"negative": 1, "neutral": 1, "positive": 0}


def test_command_prints_per_language_figures(tmp_path):
    path = _csv(
        tmp_path,
        "1,en,negative,awful\n2,en,positive,great\n3,fr,negative,nul\n4,fr,neutral,le magasin ouvre\n",
    )
    out = StringIO()
    call_command("sentiment_eval", path, "--analyser", f"{__name__}.AlwaysNegative", stdout=out)
    text = out.getvalue()
    assert "[en] n=2 accuracy=0.500" in text
    assert "[fr] n=2 accuracy=0.500" in text
    # one right negative out of two predicted: F1(neg) = 2*0.5*1/1.5, others 0
    assert f"macro-F1={(2 / 3) / 3:.3f}" in text
    assert "gold \\ predicted" in text


def test_command_default_analyser_runs(tmp_path):
    path = _csv(tmp_path, "1,en,negative,This is terrible and awful\n")
    out = StringIO()
    call_command("sentiment_eval", path, stdout=out)
    assert "[en] n=1" in out.getvalue()


@pytest.mark.parametrize(
    ("header", "body", "message"),
    [
        ("id,language,text", "1,en,bad\n", "missing column(s): label"),
        ("id,language,label,text", "1,en,angry,bad\n", "line 2: bad label 'angry'"),
        ("id,language,label,text", "1,de,negative,schlecht\n", "line 2: bad language 'de'"),
        ("id,language,label,text", "", "no rows"),
    ],
)
def test_bad_csv_is_a_clear_error(tmp_path, header, body, message):
    path = _csv(tmp_path, body, header=header)
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("sentiment_eval", path)


def test_missing_file_and_bad_analyser(tmp_path):
    with pytest.raises(CommandError, match="cannot open"):
        call_command("sentiment_eval", str(tmp_path / "nope.csv"))
    path = _csv(tmp_path, "1,en,negative,bad\n")
    with pytest.raises(CommandError, match="cannot import analyser"):
        call_command("sentiment_eval", path, "--analyser", "no.such.Analyser")
