"""An e-GP-style procurement export, as agencies download it from the e-GP system and send it.

    python bench/generate.py egp --agency dla --rows N --out F [--encoding cp874|utf-8-sig]

What makes it unlike the project's own drops (and what the procurement contract must absorb):

* title rows above the header (report name, the agency, the date of the export, a blank row)
  and a leading running-number column (ลำดับ) that the contract does not know;
* Thai headings (``เลขที่โครงการ``, ``หน่วยงาน``, ``วิธีการจัดหา`` ...);
* 11-digit project numbers (fiscal year, month, sequence);
* the agency by its full Thai name from the registry, never its code;
* no fiscal-year and no status column (the contract derives both);
* methods as e-GP writes them: ``วิธีตลาดอิเล็กทรอนิกส์ (e-market)``,
  ``วิธีประกาศเชิญชวนทั่วไป`` (e-bidding), ``วิธีเฉพาะเจาะจง``;
* Thai digits in the bidder count; dates in two Buddhist-Era forms, ``15/03/2568`` and
  ``15 มี.ค. 2568``; amounts with thousands separators.

Rows cover two fiscal years (B.E. 2567 and 2568). Same seed, same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import sys
from pathlib import Path

from stdnum.th import pin

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from pipelines.contracts import load_agencies  # noqa: E402
from pipelines.thai import ABBR_MONTHS, THAI_DIGITS, ce_to_be, fiscal_year  # noqa: E402

ENCODINGS = ("cp874", "utf-8-sig")
DEFAULT_SEED = 2568
TITLE = "รายงานสรุปผลการจัดซื้อจัดจ้าง ระบบการจัดซื้อจัดจ้างภาครัฐ (e-GP)"
HEADER = [
    "ลำดับ",
    "เลขที่โครงการ",
    "หน่วยงาน",
    "ชื่อโครงการ",
    "วิธีการจัดหา",
    "วงเงินงบประมาณ (บาท)",
    "ราคากลาง (บาท)",
    "วันที่ประกาศ",
    "วันที่ยื่นข้อเสนอ",
    "วันที่ลงนามสัญญา",
    "จำนวนผู้เสนอราคา",
    "เลขประจำตัวผู้เสียภาษีผู้ชนะ",
    "ผู้ได้รับการคัดเลือก",
    "ราคาที่ตกลงซื้อหรือจ้าง",
]
# method as e-GP writes it -> (weight, budget range)
METHODS = {
    "วิธีเฉพาะเจาะจง": (55, (5e3, 499e3)),
    "วิธีตลาดอิเล็กทรอนิกส์ (e-market)": (25, (1e5, 5e6)),
    "วิธีประกาศเชิญชวนทั่วไป": (20, (5e5, 5e7)),
}
# The method codes the procurement contract maps them to (for tests).
METHOD_CODES = {
    "วิธีเฉพาะเจาะจง": "specific",
    "วิธีตลาดอิเล็กทรอนิกส์ (e-market)": "e_market",
    "วิธีประกาศเชิญชวนทั่วไป": "e_bidding",
}
PROJECTS = [
    "จ้างก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ที่ {n}",
    "ซื้ออาหารเสริม (นม) โรงเรียน",
    "จ้างปรับปรุงศูนย์พัฒนาเด็กเล็ก",
    "จ้างก่อสร้างรางระบายน้ำ หมู่ที่ {n}",
    "ซื้อวัสดุสำนักงาน",
    "จ้างซ่อมแซมอาคารสำนักงาน",
]
COMPANIES = ["รุ่งเรือง", "ศรีสยาม", "ไทยพัฒนา", "เจริญกิจ", "สหวิศวกรรม", "บางกอกซัพพลาย"]
FIRST_DAY = dt.date(2023, 10, 1)  # fiscal year B.E. 2567 begins
LAST_DAY = dt.date(2025, 7, 31)  # late enough in B.E. 2568 for contracts to follow


def thai_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", THAI_DIGITS))


def egp_date(day: dt.date, form: int) -> str:
    """``15/03/2568`` (form 0) or ``15 มี.ค. 2568`` (form 1), Buddhist Era."""
    if form == 0:
        return f"{day.day:02d}/{day.month:02d}/{ce_to_be(day.year)}"
    return f"{day.day} {ABBR_MONTHS[day.month - 1]} {ce_to_be(day.year)}"


def juristic_tax_id(rng: random.Random) -> str:
    """A juristic person's 13-digit tax id (0105...) with its check digit."""
    body = "0105" + "".join(str(rng.randrange(10)) for _ in range(8))
    return body + pin.calc_check_digit(body)


def egp_row(rng: random.Random, number: int, agency_name: str) -> list[str]:
    method = rng.choices(list(METHODS), weights=[w for w, _ in METHODS.values()])[0]
    low, high = METHODS[method][1]
    budget = round(rng.uniform(low, high), 2)
    reference = round(budget * rng.uniform(0.85, 1.0), 2)
    announce = FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    offer = announce + dt.timedelta(days=rng.randint(7, 30))
    stage = rng.choices(["contracted", "awarded", "announced"], weights=[65, 20, 15])[0]
    form = number % 2
    awarded = stage != "announced"
    bidders = 1 if method == "วิธีเฉพาะเจาะจง" else rng.randint(1, 8)
    contract = offer + dt.timedelta(days=rng.randint(10, 45))
    # fiscal year (B.E., two digits), month, sequence: 11 digits
    year = ce_to_be(fiscal_year(announce)) % 100
    project = f"{year:02d}{announce.month:02d}{number:07d}"
    return [
        str(number),
        project,
        agency_name,
        rng.choice(PROJECTS).format(n=rng.randint(1, 20)),
        method,
        f"{budget:,.2f}",
        f"{reference:,.2f}",
        egp_date(announce, form),
        egp_date(offer, 1 - form),
        egp_date(contract, form) if stage == "contracted" else "",
        thai_digits(str(bidders)) if awarded else "",
        juristic_tax_id(rng) if awarded else "",
        f"บริษัท {rng.choice(COMPANIES)} จำกัด" if awarded else "",
        f"{reference * rng.uniform(0.8, 1.0):,.2f}" if stage == "contracted" else "",
    ]


def egp_export(
    agency_name: str, rows: int, seed: int = DEFAULT_SEED, encoding: str = "cp874"
) -> bytes:
    """The export's bytes: title rows, the header, ``rows`` projects."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding {encoding!r}: one of {ENCODINGS}")
    rng = random.Random(f"{seed}:egp:{agency_name}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([TITLE])
    writer.writerow([f"หน่วยงาน : {agency_name}"])
    writer.writerow([f"ข้อมูล ณ วันที่ {egp_date(LAST_DAY + dt.timedelta(days=30), 1)}"])
    writer.writerow([])
    writer.writerow(HEADER)
    writer.writerows(egp_row(rng, number, agency_name) for number in range(1, rows + 1))
    return buffer.getvalue().encode(encoding)


def write_egp(
    agency: str,
    rows: int,
    out: Path,
    encoding: str = "cp874",
    seed: int = DEFAULT_SEED,
    datasets_dir: Path | None = None,
) -> Path:
    """The export of a registered agency (named by its Thai name) written to ``out``."""
    names = {entry.agency_code: entry.name_th for entry in load_agencies(datasets_dir)}
    if agency not in names:
        raise SystemExit(f"egp: agency {agency!r} is not in the registry ({', '.join(names)})")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(egp_export(names[agency], rows, seed, encoding))
    return out
