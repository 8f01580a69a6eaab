"""Text patterns the parser's modules share: an email address, a phone number, and the words
that end an organization's name (its legal form or the kind of body it is)."""

from __future__ import annotations

import re

from registry_admin.intake.caseless import Caseless

EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
PHONE = re.compile(
    r"(?<![\w+])(?:\+[\s\u200b]?\d{3}(?:\s?\(0\))?|\(0?\d{1,4}\)|0\d{1,3})"
    r"(?:[ \-/\u00a0\u202f\u2009\u200b]{0,2}\d{1,5}){1,5}(?![\w-])"
)
# The abbreviated legal forms that end an organization's name: "ry", "r.y.", "Oy", "Ab", …
LEGAL_FORM = r"(?:ry|r\.y\.|rf|r\.f\.|sr|s\.r\.|oy|oyj|ab|abp|ky|tmi)"
ORG_SUFFIX = Caseless(
    r"\b(?:" + LEGAL_FORM + r"|ltd|inc|gmbh|säätiö|stiftelse|"
    r"förening|församling|seurakunta|kaupunki|kunta|kommun|stad|hyvinvointialue|"
    r"välfärdsområde[t]?|yhdistys|yhtymä|osuuskunta|andelslag|association|foundation)\b"
)
