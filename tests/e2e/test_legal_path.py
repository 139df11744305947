"""Legal-path guidance: some offences (defamation, RL 24:9) the police may
investigate only on the victim's own complaint.  The form and the receipt
page say so in the tipster's language, with a link to the police's own
online crime report in that language."""
import pytest

from e2elib import curl
from tiplib import receipt_code, submit, tip_fields

LINKS = {"fi": "https://poliisi.fi/tee-rikosilmoitus-verkossa",
         "sv": "https://poliisi.fi/sv/gor-en-brottsanmalan-pa-natet",
         "en": "https://poliisi.fi/en/report-a-crime-online"}
WORDS = {"fi": "kunnianloukkaus", "sv": "ärekränkning", "en": "defamation"}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_form_and_receipt_point_to_the_crime_report(intake, lang):
    r = curl(f"{intake.url}/{lang}")
    assert r.status == 200
    assert 'id="legal-hint"' in r.text
    assert f'href="{LINKS[lang]}"' in r.text
    assert WORDS[lang] in r.text.lower()
    r = submit(intake.url, tip_fields(lang=lang))
    assert r.status == 200, r.text[:2000]
    receipt_code(r.text)
    page = r.text
    assert 'aria-labelledby="legal-h"' in page
    assert f'href="{LINKS[lang]}"' in page
    assert "24" in page and WORDS[lang] in page.lower()
    for other in set(LINKS) - {lang}:
        assert LINKS[other] not in page
