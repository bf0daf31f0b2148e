"""A generated corpus of disguised personal data (Thai citizen IDs, phones, e-mails), each value
hidden in its own row of an otherwise ordinary decisions (or procurement) file, in the forms an
agency's file really carries them or an attacker would choose.

Deterministic: the same corpus every run. Citizen IDs get their check digit from
``stdnum.th.pin``; every value knows its canonical form (ASCII digits, decoded e-mail) so a test
can also search outputs for it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from stdnum.th import pin

THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
FULL = str.maketrans("0123456789", "０１２３４５６７８９")
NBSP, NNBSP, ZWSP, ZWJ = "\u00a0", "\u202f", "\u200b", "\u200d"
EN, EM, MINUS = "\u2013", "\u2014", "\u2212"
LRI, PDI, ALM, MVS = "\u2066", "\u2069", "\u061c", "\u180e"  # invisible: bidi, Arabic, Mongolian
BENGALI = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
TAMIL = str.maketrans("0123456789", "௦௧௨௩௪௫௬௭௮௯")

DECISIONS_HEADER = [
    "decision_id",
    "agency_code",
    "decision_type",
    "title",
    "legal_basis",
    "application_date",
    "decision_date",
    "statutory_deadline_days",
    "processing_days",
    "outcome",
    "public_consultation",
    "document_url",
    "applicant_type",
    "applicant_name",
    "remarks",
]
UNMAPPED = "เบอร์ติดต่อผู้ยื่น"  # a column the contract does not know


def citizen_id(serial: int) -> str:
    """A valid 13-digit citizen ID (first digit 1-8, mod-11 check digit)."""
    body = f"{1 + serial % 8}{(serial * 7919 + 104729) % 10**11:011d}"
    return body + pin.calc_check_digit(body)


def mobile(serial: int) -> str:
    return f"0{'689'[serial % 3]}{(serial * 7331 + 1234567) % 10**8:08d}"


def landline(serial: int) -> str:
    area = ["2", "32", "43", "53", "74"][serial % 5]
    return f"0{area}{(serial * 523 + 1234567) % 10 ** (8 - len(area)):0{8 - len(area)}d}"


def email(serial: int) -> str:
    names = ["somchai.jaidee", "malee_s", "narong.k", "pim+ogp", "wanchai2530"]
    hosts = ["gmail.com", "hotmail.co.th", "example.go.th", "mail.ac.th", "outlook.com"]
    return f"{names[serial % 5]}{serial}@{hosts[serial % 5]}"


def _grouped(digits: str, sizes: list[int], sep: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(digits[at : at + size])
        at += size
    return sep.join(parts)


def _id(digits: str, sep: str) -> str:
    return _grouped(digits, [1, 4, 5, 2, 1], sep)


def _mob(digits: str, sep: str) -> str:
    return _grouped(digits, [3, 3, 4], sep)


class Number(str):
    """A value a spreadsheet holds as a number (an XLSX numeric cell; plain text in a CSV)."""


@dataclass(frozen=True)
class Disguised:
    kind: str  # citizen_id | phone | email
    text: str  # the cell as written
    canonical: str  # ASCII digits / plain e-mail: what must never be published
    form: str  # how it is disguised
    text_only: bool = False  # personal only in a text column (a bare number is an amount)


def _pct(text: str) -> str:
    return "".join(f"%{ord(char):02X}" for char in text)


ID_FORMS: list[tuple[str, Callable[[str], str]]] = [
    ("plain", lambda d: d),
    ("dashed", lambda d: _id(d, "-")),
    ("spaced", lambda d: _id(d, " ")),
    ("thai digits dashed", lambda d: _id(d, "-").translate(THAI)),
    ("thai digits plain", lambda d: d.translate(THAI)),
    ("full-width digits", lambda d: d.translate(FULL)),
    ("NBSP", lambda d: _id(d, NBSP)),
    ("narrow NBSP", lambda d: _id(d, NNBSP)),
    ("zero-width spaces", lambda d: ZWSP.join(d)),
    ("dots", lambda d: _id(d, ".")),
    ("slashes", lambda d: _id(d, "/")),
    ("en dashes", lambda d: _id(d, EN)),
    ("minus signs", lambda d: _id(d, MINUS)),
    ("percent-encoded digits", lambda d: "id=" + _pct(d)),
    ("in text, thai digits", lambda d: f"ผู้ร้อง เลขประจำตัวประชาชน {_id(d, ' ').translate(THAI)}"),
    ("commas", lambda d: _id(d, ",")),
    ("underscores", lambda d: _id(d, "_")),
    ("colons", lambda d: _id(d, ":")),
    ("bidi isolates", lambda d: LRI.join(d)),
    ("Arabic letter marks", lambda d: _id(d, ALM)),
    ("Bengali digits", lambda d: d.translate(BENGALI)),
    ("letter O for zero", lambda d: _id(d, "-").replace("0", "O", 1)),
    ("long gap", lambda d: f"{d[:6]}          {d[6:]}"),
]
PHONE_FORMS: list[tuple[str, Callable[[str], str]]] = [
    ("dashed", lambda d: _mob(d, "-")),
    ("thai digits dashed", lambda d: _mob(d, "-").translate(THAI)),
    ("full-width", lambda d: d.translate(FULL)),
    ("spaces", lambda d: _mob(d, " ")),
    ("NBSP", lambda d: _mob(d, NBSP)),
    ("narrow NBSP", lambda d: _mob(d, NNBSP)),
    ("zero-width joiners", lambda d: _mob(d, ZWJ)),
    ("dots", lambda d: _mob(d, ".")),
    ("slashes", lambda d: _mob(d, "/")),
    ("en dash", lambda d: _mob(d, EN)),
    ("em dash", lambda d: _mob(d, EM)),
    ("minus sign", lambda d: _mob(d, MINUS)),
    ("+66", lambda d: "+66 " + _mob(d[1:], " ")),
    ("+66 (0)", lambda d: f"+66 (0){d[1:3]}-{d[3:6]}-{d[6:]}"),
    ("66 bare", lambda d: "66" + d[1:]),
    ("0066", lambda d: "0066 " + d[1:]),
    ("+66 thai digits", lambda d: ("+66 " + _mob(d[1:], "-")).translate(THAI)),
    ("percent-encoded dashes", lambda d: _mob(d, "%2D")),
    ("percent-encoded digits", lambda d: _pct(d)),
    ("tel: URL", lambda d: f"tel:+66{d[1:]}"),
    ("in text", lambda d: f"ติดต่อกลับที่เบอร์{_mob(d, ' ')}ค่ะ"),
    ("commas", lambda d: _mob(d, ",")),
    ("underscores", lambda d: _mob(d, "_")),
    ("colons", lambda d: _mob(d, ":")),
    ("middle dots", lambda d: _mob(d, "\u00b7")),
    ("bullets", lambda d: _mob(d, "\u2022")),
    ("apostrophes", lambda d: _mob(d, "'")),
    ("tildes", lambda d: _mob(d, "~")),
    ("pluses", lambda d: _mob(d, "+")),
    ("stars", lambda d: _mob(d, "*")),
    ("pipes", lambda d: _mob(d, "|")),
    ("hashes", lambda d: _mob(d, "#")),
    ("equals", lambda d: _mob(d, "=")),
    ("bangs", lambda d: _mob(d, "!")),
    ("ideographic commas", lambda d: _mob(d, "\u3001")),
    ("full-width commas", lambda d: _mob(d, "\uff0c")),
    ("brackets", lambda d: f"[{d[:3]}][{d[3:6]}][{d[6:]}]"),
    ("quotes", lambda d: f'"{d[:3]}" "{d[3:6]}" "{d[6:]}"'),
    ("bidi isolates", lambda d: f"โทร {_mob(d, LRI)}"),
    ("isolate pairs", lambda d: _mob(d, LRI + PDI)),
    ("Arabic letter mark", lambda d: _mob(d, ALM)),
    ("Mongolian vowel separator", lambda d: _mob(d, MVS)),
    ("inhibit symmetric swapping", lambda d: _mob(d, "\u206a")),
    ("wave dashes", lambda d: _mob(d, "\u301c")),
    ("full-width slashes", lambda d: _mob(d, "\uff0f")),
    ("one dot leaders", lambda d: _mob(d, "\u2024")),
    ("Bengali digits", lambda d: d.translate(BENGALI)),
    ("Tamil digits", lambda d: _mob(d, "-").translate(TAMIL)),
    ("six spaces", lambda d: f"{d[:3]}      {d[3:]}"),
    ("letter O for zero", lambda d: "O" + _mob(d, "-")[1:]),
    ("66 with dots, satang-like", lambda d: f"66.{d[1:3]}.{d[3:6]}.{d[6:8]}.{d[8:]}"),
    ("66 with a decimal tail", lambda d: f"66 {d[1:4]} {d[4:8]}.{d[8:]}"),
]
LANDLINE_FORMS: list[tuple[str, Callable[[str], str]]] = [
    ("parenthesised area", lambda d: f"({d[:2]}) {d[2:5]} {d[5:]}" if d[1] == "2" else d),
    ("dashed", lambda d: f"{d[:3]}-{d[3:6]}-{d[6:]}"),
    ("+66 dots", lambda d: f"+66.{d[1:3]}.{d[3:6]}.{d[6:]}"),
    ("thai digits", lambda d: f"โทร. {d[:3]} {d[3:]}".translate(THAI)),
]
EMAIL_FORMS: list[tuple[str, Callable[[str], str]]] = [
    ("plain", lambda e: e),
    ("%40 in URL", lambda e: f"https://www.example.go.th/contact?from={quote(e, safe='.')}"),
    ("mailto", lambda e: f"mailto:{e}"),
    ("full-width at and dot", lambda e: e.replace("@", "＠").replace(".", "．")),
    ("[at] [dot]", lambda e: e.replace("@", " [at] ").replace(".", " [dot] ")),
    ("(at) (dot)", lambda e: e.replace("@", "(at)").replace(".", "(dot)")),
    ("{at}", lambda e: e.replace("@", "{at}")),
    (" at  dot ", lambda e: e.replace("@", " at ").replace(".", " dot ")),
    ("HTML entity", lambda e: e.replace("@", "&#64;")),
    ("spaces around @", lambda e: e.replace("@", " @ ")),
    ("zero-width inside", lambda e: e.replace("@", ZWSP + "@" + ZWSP)),
    ("double percent-encoding", lambda e: e.replace("@", "%2540")),
    ("[@]", lambda e: e.replace("@", "[@]")),
    ("(@)", lambda e: e.replace("@", "(@)")),
    ("แอท ดอท", lambda e: e.replace("@", " แอท ").replace(".", " ดอท ")),
    ("comma before the TLD", lambda e: ",".join(e.rsplit(".", 1))),
    ("spaced letters", lambda e: " ".join(e)),
    ("Cyrillic look-alikes", lambda e: e.replace("a", "\u0430").replace("o", "\u043e")),
    ("combining marks", lambda e: e.replace("@", "@\u0301").replace(".", ".\u0300")),
    ("bang in the local part", lambda e: "x!" + e),
    ("bidi isolate in the domain", lambda e: e.replace("@", "@" + LRI)),
]
IDN_EMAILS = [
    ("Thai domain", "สมชาย@ตัวอย่าง.ไทย"),
    ("punycode domain", "somchai@xn--72c1a1bt4awk9o.xn--o3cw4h"),
    ("Thai local part, .th", "มาลี.ส@example.co.th"),
]


def corpus() -> list[Disguised]:
    """Every disguise, each with its own value (so nothing is found twice by accident)."""
    values: list[Disguised] = []
    serial = 0
    for form, make in ID_FORMS:
        serial += 1
        digits = citizen_id(serial)
        values.append(Disguised("citizen_id", make(digits), digits, form))
    for form, make in PHONE_FORMS:
        serial += 1
        digits = mobile(serial)
        values.append(Disguised("phone", make(digits), digits, form))
    for form, make in LANDLINE_FORMS:
        serial += 1
        digits = landline(serial)
        values.append(Disguised("phone", make(digits), digits, "landline " + form))
    for form, make in EMAIL_FORMS:
        serial += 1
        address = email(serial)
        values.append(Disguised("email", make(address), address, form))
    for form, address in IDN_EMAILS:
        values.append(Disguised("email", address, address, form))
    return values + _special(serial)


def _special(serial: int) -> list[Disguised]:
    """Disguises that need digits of a given shape."""
    glued = f"08{25 + serial % 10}{serial:06d}"[:10]  # 08 + a 25xx B.E. year: 1/08/25xx/...
    day = f"08{(serial * 37) % 10**6:06d}12"  # a phone ending in a day: 0812-3456-12/12/2566
    return [
        Disguised("phone", f"1/{glued[:2]}/{glued[2:6]}/{glued[6:]}", glued, "glued to a date"),
        Disguised("phone", f"{day[:4]}-{day[4:8]}-{day[8:]}/12/2566", day, "date after it"),
        Disguised(
            "phone",
            Number(mobile(serial + 2)[1:]),
            mobile(serial + 2)[1:],
            "spreadsheet number",
            text_only=True,
        ),
        Disguised(
            "phone",
            f"โทร {mobile(serial + 3)[1:]}",
            mobile(serial + 3)[1:],
            "9 digits in text",
            text_only=True,
        ),
    ]


@dataclass(frozen=True)
class Placed:
    value: Disguised
    row_number: int  # header is row 1
    column: str  # the column as the report names it (the header for an unmapped column)


# Where values go, in turn: free text, URL, name, identifier, integer, unmapped, juristic row.
PLACES = [
    "title",
    "document_url",
    "applicant_name",
    "decision_id",
    "processing_days",
    "statutory_deadline_days",
    "legal_basis",
    "remarks",
    UNMAPPED,
    "applicant_name@juristic",
]


INTEGER_PLACES = {"processing_days", "statutory_deadline_days"}


def clean_decision(number: int, agency: str = "cgd") -> dict[str, str]:
    return {
        "decision_id": f"{agency.upper()}-2567/{number:04d}",
        "agency_code": agency,
        "decision_type": "licence",
        "title": "ขออนุญาตประกอบกิจการ",
        "legal_basis": "พ.ร.บ. โรงงาน พ.ศ. 2535",
        "application_date": "2024-01-02",
        "decision_date": "2024-01-20",
        "statutory_deadline_days": "30",
        "processing_days": "18",
        "outcome": "approved",
        "public_consultation": "false",
        "document_url": f"https://www.example.go.th/decisions/2567/{number:04d}.pdf",
        "applicant_type": "government",
        "applicant_name": "กรมตัวอย่าง",
        "remarks": "",
        UNMAPPED: "",
    }


def decisions_rows(agency: str = "cgd") -> tuple[list[dict[str, str]], list[Placed]]:
    """One decisions row per disguised value, placed in turn across :data:`PLACES`."""
    rows: list[dict[str, str]] = []
    placed: list[Placed] = []
    for index, value in enumerate(corpus()):
        row = clean_decision(index + 1, agency)
        place = PLACES[index % len(PLACES)]
        column = place
        if value.text_only and place in INTEGER_PLACES:
            place = column = "remarks"
        if place == "applicant_name@juristic":
            column = "applicant_name"
            row["applicant_type"] = "juristic"
            row[column] = f"บริษัท ตัวอย่าง จำกัด {value.text}"
        else:
            row[column] = value.text
        rows.append(row)
        placed.append(Placed(value, index + 2, column))
    return rows, placed


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    header = list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([row[name] for name in header] for row in rows)
    return path


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    header = list(rows[0])
    sheet.append(header)
    for row in rows:
        # text cells as a steward types them; a Number as the numeric cell Excel keeps
        sheet.append([int(v) if isinstance(v, Number) else v for v in (row[n] for n in header)])
    workbook.save(path)
    return path


PROCUREMENT_HEADER = [
    *("project_id", "agency_code", "fiscal_year", "project_name", "method", "budget"),
    *("reference_price", "announce_date", "bid_close_date", "contract_date"),
    *("number_of_bidders", "winner_tax_id", "winner_name", "contract_value", "status"),
]


def procurement_row(number: int, **changes: str) -> dict[str, str]:
    row = dict.fromkeys(PROCUREMENT_HEADER, "")
    row.update(
        project_id=f"6701{number:07d}",
        agency_code="cgd",
        fiscal_year="2567",
        project_name=f"ซื้อวัสดุสำนักงาน ครั้งที่ {number} วงเงิน 1,234,567.00 บาท",
        method="specific",
        budget="1,234,567.00",
        reference_price="1234567.00",
        announce_date="31/12/2566",
        contract_date="2024-01-15",
        number_of_bidders="3",
        winner_tax_id="0105536012345" if number % 2 else "0105556098765",
        winner_name="บริษัท ตัวอย่าง จำกัด",
        contract_value="1200000",
        status="awarded",
    )
    row.update(changes)
    return row
