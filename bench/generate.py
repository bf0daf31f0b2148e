"""Deterministic generator of agency drops (demo) and large files (benchmarks).

    python bench/generate.py drops [--out datasets/drops] [--seed 2568]
    python bench/generate.py procurement --rows 1000000 --out bench/out/procurement_1m.csv \
        [--style messy|canonical]
    python bench/generate.py egp --agency dla --rows 500 --out F [--encoding cp874|utf-8-sig]

``drops`` writes what agencies really send, for every agency in the registry x decisions,
procurement, procurement_bids, budget x fiscal years B.E. 2567 and 2568: each agency has its own
habits (encoding, file type, header language, date form, digits, amounts; ``AGENCY_HABITS``), and
a few files carry planted defects (``DEFECTS``, documented in ``datasets/drops/README.md``). The
bids file of an agency and year is built from that agency's procurement rows of the year (the same
seeded rows): ``number_of_bidders`` bids per awarded project, the winner's bid its contract value.
Project numbers are nationally unique: B.E. year (2 digits), the agency's place in the registry
(3 digits), a sequence (6 digits).

The large-file mode writes N procurement rows as UTF-8 CSV with canonical headers: ``messy``
(default) keeps valid-but-untidy values (BE years and dates, Thai method names, amounts with
separators), ``canonical`` writes the clean-stage form (for validation benchmarks).
Same seed, same bytes.

``egp`` writes an e-GP-style procurement export of one registered agency (``bench/egp.py``:
title rows, Thai headings, the agency by its Thai name, no fiscal-year or status column).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import io
import random
import re
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stdnum.th import pin

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from pipelines.contracts import DatasetSpec, load_agencies, load_specs  # noqa: E402
from pipelines.thai import THAI_DIGITS, be_to_ce, ce_to_be, format_date  # noqa: E402

FISCAL_YEARS_BE = (2567, 2568)
FAMILIES = ("decisions", "procurement", "procurement_bids", "budget")
DEFAULT_SEED = 2568

# --- Thai content pools ------------------------------------------------------------------------

PROVINCES = [
    "เชียงใหม่",
    "ขอนแก่น",
    "นครราชสีมา",
    "สงขลา",
    "ชลบุรี",
    "พิษณุโลก",
    "อุบลราชธานี",
    "สุราษฎร์ธานี",
    "นครศรีธรรมราช",
    "ลำปาง",
    "ระยอง",
    "กาญจนบุรี",
    "อุดรธานี",
    "ภูเก็ต",
]
PROJECTS = {
    "cgd": [
        "ซื้อครุภัณฑ์คอมพิวเตอร์สำหรับระบบ GFMIS",
        "จ้างพัฒนาระบบบัญชีภาครัฐ",
        "จ้างบำรุงรักษาระบบจัดซื้อจัดจ้างภาครัฐ (e-GP)",
        "ซื้อเครื่องแม่ข่ายและอุปกรณ์เครือข่าย",
    ],
    "pcd": [
        "ซื้อเครื่องตรวจวัดฝุ่นละออง PM2.5",
        "จ้างสำรวจคุณภาพน้ำแม่น้ำ",
        "จ้างติดตั้งสถานีตรวจวัดคุณภาพอากาศ",
        "จ้างศึกษาการจัดการขยะมูลฝอยชุมชน",
    ],
    "dla": [
        "จ้างก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ที่ {n}",
        "ซื้ออาหารเสริม (นม) โรงเรียน",
        "จ้างปรับปรุงศูนย์พัฒนาเด็กเล็ก",
        "จ้างก่อสร้างรางระบายน้ำ หมู่ที่ {n}",
    ],
    "rid": [
        "จ้างขุดลอกคลองส่งน้ำสายใหญ่ที่ {n}",
        "จ้างซ่อมแซมประตูระบายน้ำ",
        "จ้างก่อสร้างฝายทดน้ำ",
        "ซื้อเครื่องสูบน้ำขนาด {n} นิ้ว",
    ],
    "fda": [
        "ซื้อชุดทดสอบสารปนเปื้อนในอาหาร",
        "จ้างตรวจวิเคราะห์ผลิตภัณฑ์สุขภาพ",
        "จ้างพัฒนาระบบอนุญาตผลิตภัณฑ์สุขภาพ",
        "ซื้อวัสดุวิทยาศาสตร์",
    ],
    "doh": [
        "จ้างบำรุงทางหลวงหมายเลข {n}",
        "จ้างติดตั้งไฟฟ้าแสงสว่างทางหลวงหมายเลข {n}",
        "จ้างก่อสร้างสะพานข้ามคลอง",
        "จ้างเสริมผิวแอสฟัลต์ทางหลวงหมายเลข {n}",
    ],
    "obec": [
        "ซื้อครุภัณฑ์การศึกษา",
        "จ้างก่อสร้างอาคารเรียน สปช. {n}",
        "ซื้อหนังสือเรียนและแบบฝึกหัด",
        "จ้างปรับปรุงห้องปฏิบัติการวิทยาศาสตร์",
    ],
}
GENERIC_PROJECTS = ["ซื้อวัสดุสำนักงาน", "จ้างเหมาบริการทำความสะอาด", "จ้างซ่อมแซมอาคารสำนักงาน"]
COMPANY_WORDS = [
    "รุ่งเรือง",
    "ศรีสยาม",
    "ไทยพัฒนา",
    "เจริญกิจ",
    "มั่นคง",
    "สหวิศวกรรม",
    "ก้าวหน้า",
    "ธนกร",
    "พูนทรัพย์",
    "อุดมสุข",
    "เอเชียเทค",
    "บางกอกซัพพลาย",
]
FIRST_NAMES = ["สมชาย", "สมหญิง", "วิชัย", "สุดา", "ประเสริฐ", "มาลี", "อนันต์", "กนกวรรณ"]
LAST_NAMES = ["ใจดี", "ศรีสุข", "วงศ์ไทย", "แก้วมณี", "บุญมา", "ทองคำ", "สุขสวัสดิ์"]
DECISIONS = {
    "cgd": (
        "ขออนุมัติยกเว้นการปฏิบัติตามระเบียบกระทรวงการคลัง",
        "ระเบียบกระทรวงการคลังว่าด้วยการจัดซื้อจัดจ้าง พ.ศ. 2560 ข้อ 6",
    ),
    "pcd": (
        "ขออนุญาตระบายน้ำทิ้งจากแหล่งกำเนิดมลพิษ",
        "พระราชบัญญัติส่งเสริมและรักษาคุณภาพสิ่งแวดล้อมแห่งชาติ พ.ศ. 2535",
    ),
    "dla": ("ขออนุญาตก่อสร้างอาคาร", "พระราชบัญญัติควบคุมอาคาร พ.ศ. 2522 มาตรา 21"),
    "rid": ("ขออนุญาตใช้น้ำจากทางน้ำชลประทาน", "พระราชบัญญัติการชลประทานหลวง พ.ศ. 2485"),
    "fda": ("ขออนุญาตผลิตอาหาร", "พระราชบัญญัติอาหาร พ.ศ. 2522 มาตรา 14"),
    "doh": ("ขออนุญาตเชื่อมทางเข้าออกทางหลวง", "พระราชบัญญัติทางหลวง พ.ศ. 2535 มาตรา 37"),
    "obec": ("ขออนุญาตจัดตั้งโรงเรียนเอกชน", "พระราชบัญญัติโรงเรียนเอกชน พ.ศ. 2550"),
}
LICENSING_ACT = "พระราชบัญญัติการอำนวยความสะดวกในการพิจารณาอนุญาตของทางราชการ พ.ศ. 2558"
PLANS = [
    ("แผนงานบุคลากรภาครัฐ", "รายการค่าใช้จ่ายบุคลากรภาครัฐ", "personnel"),
    ("แผนงานพื้นฐานด้านการพัฒนาและเสริมสร้างศักยภาพทรัพยากรมนุษย์", "ผลผลิต: การพัฒนาบุคลากร", "operating"),
    (
        "แผนงานยุทธศาสตร์เพื่อสนับสนุนด้านการสร้างการเติบโตบนคุณภาพชีวิตที่เป็นมิตรต่อสิ่งแวดล้อม",
        "โครงการพัฒนาระบบติดตามและเฝ้าระวัง",
        "investment",
    ),
    ("แผนงานบูรณาการพัฒนาพื้นที่ระดับภาค", "โครงการพัฒนาโครงสร้างพื้นฐาน", "investment"),
    (
        "แผนงานพื้นฐานด้านการปรับสมดุลและพัฒนาระบบการบริหารจัดการภาครัฐ",
        "ผลผลิต: การให้บริการภาครัฐ",
        "operating",
    ),
    (
        "แผนงานยุทธศาสตร์การพัฒนาคุณภาพการศึกษาและการเรียนรู้",
        "โครงการสนับสนุนค่าใช้จ่ายในการจัดการศึกษา",
        "subsidy",
    ),
    ("แผนงานพื้นฐานด้านการบริหารจัดการ", "รายการค่าใช้จ่ายอื่น", "other"),
]

# --- agency habits (what their exports look like) ----------------------------------------------


@dataclass(frozen=True)
class Habits:
    file: str = "csv"  # csv | xlsx
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | cp874
    delimiter: str = ","
    headers: int = 0  # 0: canonical English names; 1, 2: first/second Thai alias
    values: str = "thai"  # thai | code: enum values as Thai names or codes
    date_style: str = "iso"
    thai_digits: bool = False
    amounts: str = "plain"  # plain | comma | comma_baht
    fiscal_year_be: bool = True
    title_row: bool = False
    excel_dates: bool = False  # XLSX: dates as real spreadsheet dates
    sheet: dict[str, str] = field(default_factory=dict)
    with_agency_column: bool = True  # without it, the partition's agency code is filled in


AGENCY_HABITS: dict[str, Habits] = {
    "cgd": Habits(
        encoding="utf-8-sig", headers=0, values="code", date_style="iso", fiscal_year_be=False
    ),
    "pcd": Habits(
        file="xlsx",
        headers=1,
        title_row=True,
        excel_dates=True,
        with_agency_column=False,
        sheet={
            "procurement": "จัดซื้อจัดจ้าง",
            "procurement_bids": "ผู้เสนอราคา",
            "decisions": "ผลการพิจารณา",
            "budget": "งบประมาณ",
        },
    ),
    "dla": Habits(encoding="cp874", headers=1, date_style="slash_be", amounts="comma"),
    "rid": Habits(encoding="cp874", headers=2, date_style="abbr_be2", amounts="comma"),
    "fda": Habits(delimiter=";", headers=1, date_style="full_be", amounts="comma_baht"),
    "doh": Habits(headers=1, date_style="slash_be", thai_digits=True, amounts="comma"),
    "obec": Habits(
        file="xlsx",
        headers=2,
        title_row=True,
        date_style="full_be_era",
        with_agency_column=False,
        amounts="comma_baht",
    ),
}
DEFAULT_HABITS = Habits()

# (agency, family, fiscal year BE) -> defect planted in that file
DEFECTS: dict[tuple[str, str, int], str] = {
    ("cgd", "procurement", 2568): "contract_over_budget",
    ("cgd", "budget", 2567): "disbursed_over_revised",
    ("rid", "procurement", 2567): "bad_enum",
    ("pcd", "procurement", 2568): "impossible_date",
    ("fda", "decisions", 2568): "decision_before_application",
    ("obec", "budget", 2567): "missing_required",
    ("dla", "decisions", 2567): "personal_data",
    ("doh", "budget", 2568): "truncated",
}

# --- helpers ------------------------------------------------------------------------------------


def fiscal_year_dates(fiscal_year_be: int) -> tuple[dt.date, dt.date]:
    end_ce = be_to_ce(fiscal_year_be)
    return dt.date(end_ce - 1, 10, 1), dt.date(end_ce, 9, 30)


def random_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def thirteen_digit_id(rng: random.Random, first: str) -> str:
    """A 13-digit id with a valid mod-11 check digit (citizen ids and juristic tax ids)."""
    body = first + "".join(str(rng.randrange(10)) for _ in range(12 - len(first)))
    return body + pin.calc_check_digit(body)


def company(rng: random.Random) -> str:
    word = rng.choice(COMPANY_WORDS)
    return rng.choice([f"บริษัท {word} จำกัด", f"ห้างหุ้นส่วนจำกัด {word}", f"บริษัท {word} คอนสตรัคชั่น จำกัด"])


def person(rng: random.Random) -> str:
    return (
        f"{rng.choice(['นาย', 'นาง', 'นางสาว'])}{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    )


def money(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 2)


# --- rows (canonical values; habits are applied when writing) -----------------------------------


def project_number(agency: str, fiscal_year_be: int, sequence: int) -> str:
    """An 11-digit e-GP project number unique nationally: B.E. year, the agency's place in the
    registry, the project's sequence (no number under two agencies)."""
    return f"{fiscal_year_be % 100:02d}{_agency_number(agency):03d}{sequence:06d}"


@functools.cache
def _agency_number(agency: str) -> int:
    codes = [item.agency_code for item in load_agencies()]
    if agency not in codes:
        raise SystemExit(f"agency {agency!r} is not in the registry: no project numbers for it")
    return codes.index(agency) + 1


def award_day(bid_close: dt.date, contract_date: dt.date | None, sequence: int) -> dt.date:
    """The winner's announcement: after the bids close, before the contract is signed (drawn
    from the dates, not the seeded stream, so the other columns keep their values)."""
    if contract_date is not None:
        return bid_close + dt.timedelta(days=max(1, (contract_date - bid_close).days * 2 // 3))
    return bid_close + dt.timedelta(days=3 + sequence % 12)


Row = dict[str, Any]


def procurement_row(rng: random.Random, agency: str, fiscal_year_be: int, sequence: int) -> Row:
    start, end = fiscal_year_dates(fiscal_year_be)
    method = rng.choices(
        ["specific", "e_bidding", "e_market", "selection"], weights=[50, 25, 15, 10]
    )[0]
    low, high = {
        "specific": (5e3, 499e3),
        "e_market": (1e5, 5e6),
        "e_bidding": (5e5, 5e7),
        "selection": (2e5, 1e7),
    }[method]
    budget = money(rng, low, high)
    reference = round(budget * rng.uniform(0.85, 1.0), 2)
    status = rng.choices(
        ["contracted", "awarded", "announced", "planned", "cancelled"], weights=[60, 15, 10, 10, 5]
    )[0]
    announce = random_day(rng, start, end - dt.timedelta(days=75))
    bid_close = announce + dt.timedelta(days=rng.randint(7, 30))
    template = rng.choice(PROJECTS.get(agency, GENERIC_PROJECTS) + GENERIC_PROJECTS)
    name = template.format(n=rng.randint(1, 399))
    if rng.random() < 0.5:
        name = f"{name} จังหวัด{rng.choice(PROVINCES)}"
    awarded = status in ("awarded", "contracted")
    bidders = 1 if method == "specific" else rng.randint(1, 8)
    contract_date = (
        bid_close + dt.timedelta(days=rng.randint(10, 45)) if status == "contracted" else None
    )
    return {
        "project_id": project_number(agency, fiscal_year_be, sequence),
        "agency_code": agency,
        "fiscal_year": be_to_ce(fiscal_year_be),
        "project_name": name,
        "method": method,
        "budget": budget,
        "reference_price": reference if status != "planned" else None,
        "announce_date": announce if status != "planned" else None,
        "bid_close_date": bid_close if status not in ("planned",) else None,
        "award_date": award_day(bid_close, contract_date, sequence) if awarded else None,
        "contract_date": contract_date,
        "number_of_bidders": bidders if awarded else None,
        "winner_tax_id": thirteen_digit_id(rng, "0105") if awarded else None,
        "winner_name": company(rng) if awarded else None,
        "contract_value": round(reference * rng.uniform(0.8, 1.0), 2)
        if status == "contracted"
        else None,
        "status": status,
    }


def decisions_row(rng: random.Random, agency: str, fiscal_year_be: int, sequence: int) -> Row:
    start, end = fiscal_year_dates(fiscal_year_be)
    title, law = DECISIONS.get(agency, ("คำสั่งของหน่วยงาน", LICENSING_ACT))
    kind = rng.choices(
        ["licence", "permit", "agency_order", "cabinet_resolution"], [45, 30, 20, 5]
    )[0]
    applicant_type = rng.choices(["person", "juristic", "government"], [40, 45, 15])[0]
    application = random_day(rng, start, end - dt.timedelta(days=60))
    processing = rng.randint(1, 60)
    applicant = {"person": person, "juristic": company}.get(
        applicant_type, lambda _: f"องค์การบริหารส่วนตำบล{rng.choice(COMPANY_WORDS)}"
    )(rng)
    licensing = kind in ("licence", "permit")
    return {
        "decision_id": f"{agency.upper()}-{fiscal_year_be}/{sequence:04d}",
        "agency_code": agency,
        "decision_type": kind,
        "title": title if licensing else f"คำสั่ง{title.removeprefix('ขอ')}",
        "legal_basis": law if licensing else LICENSING_ACT,
        "application_date": application if licensing else None,
        "decision_date": application + dt.timedelta(days=processing),
        "statutory_deadline_days": rng.choice([30, 45, 60]) if licensing else None,
        "processing_days": processing if licensing else None,
        "outcome": rng.choices(
            ["approved", "rejected", "partially_approved", "withdrawn"], [75, 12, 8, 5]
        )[0],
        "public_consultation": rng.random() < 0.2,
        "document_url": f"https://www.{agency}.go.th/decisions/{fiscal_year_be}/{sequence:04d}.pdf",
        "applicant_type": applicant_type if licensing else "government",
        "applicant_name": applicant if licensing else None,
        "remarks": rng.choice([None, None, "ยื่นเอกสารครบถ้วน", "ขอเอกสารเพิ่มเติม 1 ครั้ง"]),
    }


def budget_row(rng: random.Random, agency: str, fiscal_year_be: int, sequence: int) -> Row:
    plan, programme, category = rng.choice(PLANS)
    allocated = money(rng, 1e6, 2e9)
    revised = round(allocated * rng.uniform(0.9, 1.1), 2)
    agency_number = sorted(PROJECTS).index(agency) + 1 if agency in PROJECTS else 99
    return {
        "budget_line_id": f"{agency_number:02d}{fiscal_year_be}{sequence:04d}",
        "fiscal_year": be_to_ce(fiscal_year_be),
        "agency_code": agency,
        "plan": plan,
        "programme": programme,
        "economic_category": category,
        "allocated": allocated,
        "revised": revised,
        "disbursed": round(revised * rng.uniform(0.5, 1.0), 2),
    }


ROW_MAKERS: dict[str, Callable[[random.Random, str, int, int], Row]] = {
    "procurement": procurement_row,
    "decisions": decisions_row,
    "budget": budget_row,
}
ROW_COUNTS = {"procurement": (40, 80), "decisions": (30, 60), "budget": (15, 30)}


def plant_defect(rows: list[Row], defect: str, rng: random.Random) -> None:
    """Make one row genuinely wrong, the way real files are."""
    row = rows[len(rows) // 2]
    if defect == "contract_over_budget":
        # 60% over budget, 7 days to bid, one valid bid (a lower one disqualified: the bids file)
        announce = row["announce_date"] or fiscal_year_dates(be_year(row))[0] + dt.timedelta(30)
        bid_close = announce + dt.timedelta(days=7)
        contract = bid_close + dt.timedelta(days=15)
        row.update(status="contracted", method="e_bidding", contract_value=row["budget"] * 1.6)
        row.update(contract_value=round(row["contract_value"], 2), number_of_bidders=2)
        row.update(announce_date=announce, bid_close_date=bid_close, contract_date=contract)
        row.update(award_date=bid_close + dt.timedelta(days=5), reference_price=row["budget"])
        row.update(winner_tax_id=row["winner_tax_id"] or thirteen_digit_id(rng, "0105"))
        row.update(winner_name=row["winner_name"] or company(rng))
    elif defect == "disbursed_over_revised":
        row["disbursed"] = round(row["revised"] * 1.25, 2)
    elif defect == "bad_enum":
        row["method"] = "วิธีพิเศษ"  # repealed method, not in the contract's enum
    elif defect == "impossible_date":
        row["announce_date"] = "31/02/2568"
    elif defect == "decision_before_application":
        row.update(
            decision_type="licence", application_date=row["decision_date"] + dt.timedelta(days=9)
        )
        row["processing_days"] = -9
    elif defect == "missing_required":
        row["plan"] = None
    elif defect == "personal_data":
        citizen = thirteen_digit_id(rng, str(rng.randint(1, 8)))
        row["remarks"] = (
            f"ติดต่อผู้ยื่นคำขอ เลขประจำตัวประชาชน {citizen} โทร 08{rng.randint(1, 9)}-"
            f"{rng.randint(100, 999)}-{rng.randint(1000, 9999)} อีเมล somchai.j@example.com"
        )


def be_year(row: Row) -> int:
    return ce_to_be(row["fiscal_year"])


# --- bids (one row per bid received, consistent with the procurement rows) ---------------------

# Bids received on a project that are not the winner's: mostly valid, a few disqualified or
# withdrawn, all above the winning price (the lowest valid bid wins).
OTHER_BID_STATUS = (["valid", "disqualified", "withdrawn"], [80, 14, 6])


def procurement_rows(agency: str, fiscal_year_be: int, seed: int) -> list[Row]:
    """The agency's procurement rows of the year, as its procurement file holds them."""
    rng = random.Random(f"{seed}:{agency}:procurement:{fiscal_year_be}")
    count = rng.randint(*ROW_COUNTS["procurement"])
    rows = [procurement_row(rng, agency, fiscal_year_be, n + 1) for n in range(count)]
    defect = DEFECTS.get((agency, "procurement", fiscal_year_be))
    if defect:
        plant_defect(rows, defect, rng)
    return rows


def bids_rows(agency: str, fiscal_year_be: int, seed: int) -> list[Row]:
    """``number_of_bidders`` bids per awarded or contracted project: the winner's at the contract
    value (or a price under the reference when not yet contracted), the others higher. In each
    file one project's second-lowest valid bid is within 0.3% of the winner's and one's is at
    least 60% above it (a heavily discounted winning bid). The planted over-budget project has a
    single valid bid and a lower one disqualified. One losing bidder in dla's B.E. 2568 file is
    a sole trader (a citizen id: personal data, masked by the gate)."""
    rng = random.Random(f"{seed}:{agency}:procurement_bids:{fiscal_year_be}")
    every = procurement_rows(agency, fiscal_year_be, seed)
    defect = DEFECTS.get((agency, "procurement", fiscal_year_be))
    planted = every[len(every) // 2]["project_id"] if defect == "contract_over_budget" else None
    projects = [
        row for row in every if row["status"] in ("awarded", "contracted") and row["winner_tax_id"]
    ]
    contested = [row["project_id"] for row in projects if row["number_of_bidders"] >= 3]
    close, discounted = rng.sample(contested, 2) if len(contested) >= 2 else (None, None)
    rows: list[Row] = []
    for row in projects:
        winning = row["contract_value"] or round(row["reference_price"] * rng.uniform(0.8, 1), 2)
        bids = [(row["winner_tax_id"], row["winner_name"], winning, "valid")]
        if row["project_id"] == planted:
            low = round(winning * rng.uniform(0.55, 0.6), 2)
            bids.append((thirteen_digit_id(rng, "0105"), company(rng), low, "disqualified"))
        else:
            factor = {close: (1.0005, 1.003), discounted: (1.6, 1.9)}.get(
                row["project_id"], (1.02, 1.3)
            )
            for rank in range(row["number_of_bidders"] - 1):
                status = "valid" if rank == 0 else rng.choices(*OTHER_BID_STATUS)[0]
                amount = round(winning * rng.uniform(*factor) * (1 + 0.05 * rank), 2)
                bids.append((thirteen_digit_id(rng, "0105"), company(rng), amount, status))
        rows.extend(_bid_rows(row, bids, rng))
    if agency == "dla" and fiscal_year_be == 2568:
        winners = {row["winner_tax_id"] for row in projects}
        loser = next(bid for bid in rows if bid["bidder_tax_id"] not in winners)
        loser.update(bidder_tax_id=thirteen_digit_id(rng, "3"), bidder_name=person(rng))
    return rows


def _bid_rows(
    project: Row, bids: list[tuple[str, str, float, str]], rng: random.Random
) -> list[Row]:
    opened = project["announce_date"] if isinstance(project["announce_date"], dt.date) else None
    closed = project["bid_close_date"]
    rows = []
    for tax_id, name, amount, status in bids:
        day = random_day(rng, opened, closed) if opened and closed else closed
        rows.append(
            {
                "project_id": project["project_id"],
                "agency_code": project["agency_code"],
                "fiscal_year": project["fiscal_year"],
                "bidder_tax_id": tax_id,
                "bidder_name": name,
                "bid_amount": amount,
                "bid_status": status,
                "bid_date": day,
            }
        )
    rng.shuffle(rows)  # in the order the agency's system lists them, not by price
    return rows


# --- writing with habits ------------------------------------------------------------------------


def header_names(spec: DatasetSpec, habits: Habits, names: list[str]) -> list[str]:
    headers = []
    for name in names:
        variants = spec.aliases.columns.get(name, [])
        headers.append(
            variants[habits.headers - 1]
            if habits.headers and len(variants) >= habits.headers
            else name
        )
    return headers


DIGIT_ID = re.compile(r"^\^\[0-9\]\{\d+\}\$$")


def _digits(text: str, habits: Habits) -> str:
    return text.translate(str.maketrans("0123456789", THAI_DIGITS)) if habits.thai_digits else text


def _amount(value: float, habits: Habits) -> str:
    text = {"plain": f"{value:.2f}", "comma": f"{value:,.2f}", "comma_baht": f"{value:,.2f} บาท"}[
        habits.amounts
    ]
    return _digits(text, habits)


def cell_text(spec: DatasetSpec, name: str, value: Any, habits: Habits) -> Any:
    """One canonical value as this agency would write it (XLSX may keep real dates)."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return (
            value if habits.excel_dates else _digits(format_date(value, habits.date_style), habits)
        )
    if isinstance(value, bool):
        return ("มี" if value else "ไม่มี") if habits.values == "thai" else str(value).lower()
    field_type = spec.field(name).get("type")
    if field_type == "number":
        return _amount(float(value), habits)
    if name in spec.normalize.buddhist_era_year_fields:
        return _digits(str(ce_to_be(value) if habits.fiscal_year_be else value), habits)
    if (
        field_type == "integer"
        or name.endswith("_tax_id")
        or DIGIT_ID.match(str(spec.field(name).get("constraints", {}).get("pattern", "")))
    ):
        return _digits(str(value), habits)
    aliases = spec.aliases.values.get(name, {})
    if habits.values == "thai" and value in aliases and aliases[value]:
        return aliases[value][0]
    return value


def title_line(spec: DatasetSpec, agency_name: str, fiscal_year_be: int) -> str:
    return f"{spec.title.th} {agency_name} ปีงบประมาณ พ.ศ. {fiscal_year_be}"


def csv_bytes(header: list[str], rows: list[list[Any]], habits: Habits, title: str | None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=habits.delimiter, lineterminator="\r\n")
    if title:
        writer.writerow([title])
    writer.writerow(header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return buffer.getvalue().encode(habits.encoding)


def xlsx_bytes(header: list[str], rows: list[list[Any]], sheet: str, title: str | None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    if title:
        worksheet.append([title])
    worksheet.append(header)
    for row in rows:
        worksheet.append(row)
    fixed = dt.datetime(2025, 10, 1)
    workbook.properties.created = workbook.properties.modified = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps so the same workbook gives the same bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                body = re.sub(
                    rb"<dcterms:modified([^>]*)>[^<]*<",
                    rb"<dcterms:modified\1>2025-10-01T00:00:00Z<",
                    body,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 10, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, body)
    return out.getvalue()


def drop_file(
    spec: DatasetSpec, agency: str, agency_name: str, fiscal_year_be: int, seed: int
) -> tuple[str, bytes]:
    family = spec.name
    habits = AGENCY_HABITS.get(agency, DEFAULT_HABITS)
    rng = random.Random(f"{seed}:{agency}:{family}:{fiscal_year_be}")
    defect = DEFECTS.get((agency, family, fiscal_year_be))
    if family == "procurement_bids":
        rows = bids_rows(agency, fiscal_year_be, seed)
    else:
        count = rng.randint(*ROW_COUNTS[family])
        rows = [ROW_MAKERS[family](rng, agency, fiscal_year_be, n + 1) for n in range(count)]
        if defect and defect != "truncated":
            plant_defect(rows, defect, rng)
    names = [n for n in spec.field_names if habits.with_agency_column or n != "agency_code"]
    header = header_names(spec, habits, names)
    cells = [[cell_text(spec, name, row[name], habits) for name in names] for row in rows]
    title = title_line(spec, agency_name, fiscal_year_be) if habits.title_row else None
    if habits.file == "xlsx":
        sheet = habits.sheet.get(family, "Sheet1")
        return f"{family}_{fiscal_year_be}.xlsx", xlsx_bytes(header, cells, sheet, title)
    data = csv_bytes(header, cells, habits, title)
    if defect == "truncated":
        data = data[: int(len(data) * 0.7)]
        data = data[: data.rfind(habits.delimiter.encode()) + 1]  # cut mid-row, after a delimiter
    return f"{family}_{fiscal_year_be}.csv", data


def generate_drops(
    out: Path, seed: int = DEFAULT_SEED, datasets_dir: Path | None = None
) -> list[Path]:
    specs = load_specs(datasets_dir)
    written: list[Path] = []
    for agency in load_agencies(datasets_dir):
        folder = out / agency.agency_code
        folder.mkdir(parents=True, exist_ok=True)
        for family in FAMILIES:
            for fiscal_year_be in FISCAL_YEARS_BE:
                name, data = drop_file(
                    specs[family], agency.agency_code, agency.name_th, fiscal_year_be, seed
                )
                path = folder / name
                path.write_bytes(data)
                written.append(path)
    return written


# --- large files -------------------------------------------------------------------------------

MESSY = Habits(values="thai", date_style="slash_be", amounts="comma", fiscal_year_be=True)
CANONICAL = Habits(values="code", date_style="iso", amounts="plain", fiscal_year_be=False)
AGENCY_CYCLE = ("cgd", "pcd", "dla", "rid", "fda", "doh", "obec")


def _bench_rows(spec: DatasetSpec, rows: int, seed: int, habits: Habits) -> Iterator[list[Any]]:
    rng = random.Random(f"{seed}:bench:{spec.name}")
    for n in range(rows):
        agency = AGENCY_CYCLE[n % len(AGENCY_CYCLE)]
        row = procurement_row(rng, agency, FISCAL_YEARS_BE[n % 2], n + 1)
        row["project_id"] = f"{FISCAL_YEARS_BE[n % 2] % 100:02d}{n + 1:09d}"
        yield [
            ""
            if (cell := cell_text(spec, name, row[name], habits)) is None
            else cell.isoformat()
            if isinstance(cell, dt.date)
            else cell
            for name in spec.field_names
        ]


def generate_large(
    family: str, rows: int, out: Path, seed: int = DEFAULT_SEED, style: str = "messy"
) -> Path:
    if family != "procurement":
        raise SystemExit("large files: only the procurement family is generated")
    spec = load_specs()[family]
    habits = MESSY if style == "messy" else CANONICAL
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(spec.field_names)
        writer.writerows(_bench_rows(spec, rows, seed, habits))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["drops", "procurement", "egp"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--style", choices=["messy", "canonical"], default="messy")
    parser.add_argument("--agency", default="dla", help="egp: the registered agency")
    parser.add_argument("--encoding", choices=["cp874", "utf-8-sig"], default="cp874")
    args = parser.parse_args(argv)
    if args.what == "egp":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from egp import write_egp

        out = args.out or REPO_ROOT / "bench" / "out" / f"egp_{args.agency}.csv"
        path = write_egp(args.agency, args.rows, out, args.encoding, args.seed)
        print(f"wrote {path} ({args.rows} rows, {args.encoding})")
    elif args.what == "drops":
        written = generate_drops(args.out or REPO_ROOT / "datasets" / "drops", args.seed)
        print(f"wrote {len(written)} files")
    else:
        path = generate_large(
            args.what,
            args.rows,
            args.out or REPO_ROOT / "bench" / "out" / "procurement_1m.csv",
            args.seed,
            args.style,
        )
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
