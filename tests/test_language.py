"""The language decision: short texts are English until shown otherwise. Sentences written by the team."""

import shutil

import pytest

from pipeline.ingest import detect_language, read_text_file
from pipeline.rules import RULES_DIR, RulesError, load_rules

ENGLISH = [  # (text, language recorded)
    ("Pay me 7 dollars", "en"),
    ("$35", "und"),
    ("€1.2bn", "und"),
    ("Regulator fines bank $5m", "und"),
    ("Watchdog fines telecom group over data breach", "en"),
    ("Société Générale fined €5m by AMF", "en"),
    ("Grupo Santander fined by Banco de España", "en"),
    ("Banco de España fines Santander", "und"),
    ("Von der Leyen unveils AI plan", "und"),
    ("Die Hard star fined for speeding", "en"),
    ("FTC sues Amazon", "und"),
    ("Photo: the headquarters of the Italian data protection authority in Rome", "en"),
    ("acme corp qtr net shr 20 cts vs 15 cts", "und"),
    ("ICO hits BA with £20m penalty", "en"),
    ("Deutsche Telekom, Orange, Telefónica: Q3 results", "und"),
    ("The regulator fined the company for failing to protect the data of its customers.", "en"),
]

FOREIGN = [  # (text, language) our own sentences in other languages, which must stay rejected
    ("Die Datenschutzbehörde hat gegen das Unternehmen eine Geldbuße in Höhe von 20 Millionen Euro verhängt.", "de"),
    ("Deutsche Bank muss 40 Millionen Euro zahlen", "de"),
    ("Strafe für die Bank", "de"),
    ("La CNIL a infligé une amende de 20 millions d'euros à la société pour avoir collecté des données.", "fr"),
    ("La CNIL inflige une amende de 20 millions d'euros", "fr"),
    ("Amende record pour Google", "fr"),
    ("La autoridad impuso una multa de seis millones de euros al banco por no proteger los datos.", "es"),
    ("El regulador sancionó a la empresa con una multa", "es"),
    ("Il Garante ha sanzionato la società per 15 milioni di euro.", "it"),
    ("De toezichthouder legde een boete op van 10 miljoen euro.", "nl"),
    ("Datatilsynet gir Meta dagbøter på en million kroner", "no"),
    ("Штраф 5 млн рублей", "ru"),
    ("罚款500万元", "zh"),
]


@pytest.mark.parametrize("text,language", ENGLISH, ids=[t for t, _ in ENGLISH])
def test_short_english_texts_go_through(text, language):
    article = read_text_file("brief.txt", text + "\n", "utf-8")
    assert (article.status, article.language, article.error) == ("ok", language, None)


@pytest.mark.parametrize("text,language", FOREIGN, ids=[t for t, _ in FOREIGN])
def test_text_in_another_language_stays_rejected(text, language):
    article = read_text_file("foreign.txt", text + "\n", "utf-8")
    assert (article.status, article.language) == ("unsupported_language", language)
    assert repr(language) in article.error and "English model was not run" in article.error


def test_detector_names_the_language_and_its_probability():
    code, prob = detect_language("Die Behörde verhängte ein Bußgeld gegen das Unternehmen wegen der Verstöße.")
    assert code == "de" and 0.5 <= prob <= 1


def test_language_file_keeps_english_words_apart(tmp_path):
    for p in RULES_DIR.glob("*.*"):
        shutil.copy(p, tmp_path / p.name)
    with (tmp_path / "languages.tsv").open("a", encoding="utf-8") as fh:
        fh.write("et\tja the\n")
    with pytest.raises(RulesError, match="et lists English function words: the"):
        load_rules.__wrapped__(tmp_path)
