"""OFAC legacy CSV parser (``--format ofac-csv``) on the real SDN / Consolidated files."""

from __future__ import annotations

import csv
import functools
import io
import time
from pathlib import Path

import pytest

from tamiz.model import DateValue, Entity, NameKind, ParsedList, ParseError, Schema, SourceFile
from tamiz.sources import ofac

LISTS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "lists"
SDN = LISTS / "us_ofac_sdn"
PARTIAL_2025_12 = SDN / "2025-12-24-partial"

SETS: dict[str, list[Path]] = {
    "2021-07-07": sorted((SDN / "2021-07-07").glob("*.csv")),
    "small-fixture": sorted((SDN / "small-fixture").glob("*.csv")),
    "cons": sorted((LISTS / "us_ofac_cons" / "2025-12-19").glob("*.csv")),
    "partial-2025-12": sorted(PARTIAL_2025_12.glob("*.csv")),
    "partial-2025-01": sorted((SDN / "2025-01-partial").glob("*.csv")),
    # The registry's us_ofac_sdn_2026 dataset: the 2026 excerpt plus the 2025-12-24 files.
    "2026": [SDN / "2026-excerpt" / "sdn_excerpt.csv", *sorted(PARTIAL_2025_12.glob("*.csv"))],
}
HISTORY = sorted((SDN / "history").glob("sdn-*.csv"))


def files(paths: list[Path]) -> list[SourceFile]:
    return [SourceFile(p.name, p.read_bytes()) for p in paths]


@functools.cache
def parsed(key: str) -> ParsedList:
    paths = SETS.get(key) or [p for p in HISTORY if p.stem == key]
    return ofac.parse(files(paths), "us_ofac_sdn")


def entity(key: str, ent_num: str) -> Entity:
    for item in parsed(key).entities:
        if item.id == f"us_ofac_sdn:{ent_num}":
            return item
    raise AssertionError(f"{ent_num} not in {key}")


def names(item: Entity, kind: NameKind) -> set[str]:
    return {n.full for n in item.names if n.kind is kind}


def read_rows(path: Path) -> list[list[str]]:
    text = path.read_bytes().rstrip(b"\x1a").decode("utf-8")
    return [row for row in csv.reader(io.StringIO(text, newline="")) if row]


@pytest.fixture(autouse=True)
def _shared_lists(lists_dir: Path) -> None:
    """Skip (via the conftest fixture) when the shared list files are absent."""


# -- complete sets and counts ---------------------------------------------------------------


def test_2021_set_has_every_entry_alias_and_address() -> None:
    result = parsed("2021-07-07")
    assert len(result.entities) == 8976
    assert len({e.id for e in result.entities}) == 8976
    by_num = {e.native_id: e for e in result.entities}
    alt_rows = read_rows(SDN / "2021-07-07" / "alt.csv")
    assert len(alt_rows) == 11910
    for row in alt_rows:
        alias = " ".join(row[3].split())
        kinds = {n.kind for n in by_num[row[0].strip()].names if n.full == alias}
        assert kinds - {NameKind.WEAK}, f"alt.csv alias {alias!r} of {row[0]} lost"
    add_rows = read_rows(SDN / "2021-07-07" / "add.csv")
    assert len(add_rows) == 13837
    with_content = [r for r in add_rows if any(v.strip() != "-0-" for v in r[2:5])]
    assert sum(len(e.addresses) for e in result.entities) == len(with_content)
    assert not [w for w in result.warnings if "unknown" in w or "dropped" in w]


def test_weak_aliases_are_the_quoted_remark_aliases_absent_from_alt_csv() -> None:
    result = parsed("2021-07-07")
    weak = [n for e in result.entities for n in e.names if n.kind is NameKind.WEAK]
    assert len(weak) > 2400
    # OFAC never repeats an entry's quoted remark alias in alt.csv: they are a separate class.
    alt_names: dict[str, set[str]] = {}
    for row in read_rows(SDN / "2021-07-07" / "alt.csv"):
        alt_names.setdefault(row[0].strip(), set()).add(" ".join(row[3].split()))
    sdn_rows = read_rows(SDN / "2021-07-07" / "sdn.csv")
    quoted = [r for r in sdn_rows if "a.k.a. '" in r[11] or "f.k.a. '" in r[11]]
    assert len(quoted) > 1000
    for row in quoted:
        ent_num = row[0].strip()
        weak_here = names(entity("2021-07-07", ent_num), NameKind.WEAK)
        assert weak_here, ent_num
        assert not weak_here & alt_names.get(ent_num, set()), ent_num
    bank = entity("2021-07-07", "306")  # BANCO NACIONAL DE CUBA, "a.k.a. 'BNC'." in Remarks
    assert names(bank, NameKind.AKA) == {"NATIONAL BANK OF CUBA"}
    assert names(bank, NameKind.WEAK) == {"BNC"}
    assert bank.names[0].kind is NameKind.PRIMARY
    ship = entity("2021-07-07", "4243")  # SAND SWAN, "f.k.a. 'ANA I'." in Remarks
    assert names(ship, NameKind.WEAK) == {"ANA I"}


@pytest.mark.slow
@pytest.mark.parametrize("path", HISTORY, ids=[p.stem for p in HISTORY])
def test_history_file_parses_completely(path: Path) -> None:
    result = parsed(path.stem)
    rows = read_rows(path)
    assert len(result.entities) == len(rows) > 9000
    assert not [w for w in result.warnings if "unknown OFAC program tag" in w]
    assert all(e.designations for e in result.entities)
    assert all(e.names and e.names[0].kind is NameKind.PRIMARY for e in result.entities)


def test_every_program_tag_in_the_shared_files_is_in_the_catalogue() -> None:
    for key in ("2021-07-07", "cons", "2026", "small-fixture"):
        assert not [w for w in parsed(key).warnings if "unknown OFAC program tag" in w], key


@pytest.mark.slow
def test_largest_sdn_file_parses_in_well_under_two_seconds() -> None:
    data = files([SDN / "history" / "sdn-2024-05-03.csv"])
    ofac.parse(data, "warm")  # caches (country table, program catalogue)
    start = time.process_time()
    result = ofac.parse(data, "timed")
    elapsed = time.process_time() - start
    assert len(result.entities) == 14965
    assert elapsed < 2.0, f"{elapsed:.2f} s of CPU for 14,965 rows"


def test_consolidated_list() -> None:
    result = parsed("cons")
    assert len(result.entities) == 442
    assert not [w for w in result.warnings if "unknown" in w or "dropped" in w]
    haniya = entity("cons", "9639")
    assert haniya.schema is Schema.PERSON
    assert haniya.programs == ("NS-PLC",)
    assert haniya.designations[0].program_title == "Non-SDN Palestinian Legislative Council List"
    # CMIC entries state their listing and effective dates in the Remarks.
    avic = entity("cons", "32053")
    (cmic,) = avic.designations
    assert (cmic.program, cmic.listed_on, cmic.effective_from) == (
        "CMIC-EO13959",
        "2021-06-03",
        "2021-08-02",
    )
    assert avic.schema is Schema.COMPANY
    assert "CNE000000N22" in {i.value for i in avic.identifiers}


# -- individual entries --------------------------------------------------------------------


def test_maduro() -> None:
    maduro = entity("2026", "22790")
    assert maduro.schema is Schema.PERSON
    primary = maduro.names[0]
    assert (primary.full, primary.last_name, primary.first_name) == (
        "MADURO MOROS, Nicolas",
        "MADURO MOROS",
        "Nicolas",
    )
    assert maduro.birth_dates == (DateValue("1962-11-23"),)
    assert maduro.birth_places == ("Caracas, Venezuela",)
    assert maduro.citizenships == ("VE",)
    assert maduro.gender == "male"
    cedula = next(i for i in maduro.identifiers if i.type == "cedula")
    assert (cedula.value, cedula.country) == ("5892464", "VE")
    assert maduro.positions == ("President of the Bolivarian Republic of Venezuela",)
    venezuela = next(d for d in maduro.designations if d.program == "VENEZUELA")
    assert venezuela.authority == "US Department of the Treasury, OFAC"
    assert venezuela.program_title == "Venezuela-related sanctions"
    assert venezuela.legal_basis == "E.O. 13692"
    assert venezuela.listed_on is None
    assert maduro.programs[:2] == ("VENEZUELA", "IRAN-CON-ARMS-EO")
    # From add.csv of the 2025-12-24 set.
    assert [a.country for a in maduro.addresses] == ["VE"]


def test_cartel_de_los_soles_in_the_2026_combination() -> None:
    cartel = entity("2026", "55025")
    assert cartel.caption == "CARTEL DE LOS SOLES"
    assert names(cartel, NameKind.AKA) == {"CARTEL OF THE SUNS"}
    fto = next(d for d in cartel.designations if d.program == "FTO")
    assert fto.authority == "US Department of State"
    assert fto.program_title == "Foreign Terrorist Organization"
    assert fto.legal_basis == "Immigration and Nationality Act §219"
    sdgt = next(d for d in cartel.designations if d.program == "SDGT")
    assert (sdgt.program_title, sdgt.legal_basis) == (
        "Specially Designated Global Terrorist",
        "E.O. 13224",
    )
    assert "crime.terror" in cartel.topics
    # "Secondary sanctions risk: section 1(b) of Executive Order 13224 ..." in the Remarks.
    assert "SECONDARY-EO13224" in cartel.programs
    assert cartel.schema is Schema.ORGANIZATION  # "Target Type Criminal Organization"
    assert cartel.countries == ("VE",)

    tren = entity("2026", "49756")
    assert {"FTO", "SDGT", "TCO"} <= set(tren.programs)
    assert names(tren, NameKind.AKA) == {"EL TREN DE ARAGUA"}
    assert names(tren, NameKind.WEAK) == {"ARAGUA TRAIN"}
    assert "crime" in next(d for d in tren.designations if d.program == "TCO").topics


def test_2026_combination_drops_rows_of_entries_not_in_the_excerpt() -> None:
    result = parsed("2026")
    assert len(result.entities) == 68
    dropped = [w for w in result.warnings if "not in the main file dropped" in w]
    assert len(dropped) == 3
    assert any(w.startswith("alt.csv:") for w in dropped)


def test_vessel() -> None:
    frunze = entity("small-fixture", "50972")
    assert frunze.schema is Schema.VESSEL
    imo = next(i for i in frunze.identifiers if i.type == "imo")
    assert imo.value == "9263643"
    assert frunze.property_values("imoNumber") == ("9263643",)
    assert frunze.property_values("mmsi") == ("518998343",)
    assert frunze.property_values("flag") == ("CK",)
    assert frunze.property_values("callSign") == ("E5U4323",)
    assert frunze.property_values("type") == ("Crude Oil Tanker",)
    assert [r.target_name for r in frunze.relations] == ["GEMINI MARINE LIMITED"]
    assert entity("small-fixture", "47371").property_values("flag") == ("GA",)


def test_aircraft() -> None:
    plane = entity("small-fixture", "20540")
    assert plane.schema is Schema.AIRPLANE
    assert plane.property_values("model") == ("AN24-RV",)
    assert plane.property_values("operator") == ("Air Koryo",)
    assert plane.property_values("buildDate") == ("1974",)
    assert plane.programs[0] == "DPRK3"
    assert "SECONDARY-NKSR" in plane.programs
    other = entity("small-fixture", "48727")
    assert other.property_values("serialNumber") == ("1023409321",)
    assert {i.type for i in other.identifiers} == {"aircraft_id"}


def test_crypto_wallets_including_one_split_across_the_comments_file() -> None:
    khoroshev = entity("small-fixture", "48603")
    wallet = next(i for i in khoroshev.identifiers if i.type == "crypto_wallet")
    assert (wallet.value, wallet.note) == ("bc1qvhnfknw852ephxyc5hm4q520zmvf9maphetc9z", "XBT")
    # SUEX's remark is cut mid-address in sdn.csv and continues in sdn_comments.csv.
    suex = entity("small-fixture", "33151")
    wallets = {i.value for i in suex.identifiers if i.type == "crypto_wallet"}
    assert "1B64QRxfaa35MVkf7sDjuGUYAP5izQt7Qi" in wallets
    assert "0x2f389ce8bd8ff92de3402ffce4691d17fc4f6535" in wallets
    assert suex.property_values("website") == ("suex.io",)


def test_identifiers_with_country_and_dates() -> None:
    logan = entity("small-fixture", "10278")
    by_type = {i.type: i for i in logan.identifiers}
    assert (by_type["passport"].value, by_type["passport"].country) == ("P0017003", "BZ")
    assert (by_type["ssn"].value, by_type["ssn"].country) == ("561-77-9011", "US")
    assert names(logan, NameKind.WEAK) == {"BURTON BURGESS"}
    kingston = entity("2026", "49760")
    passport = next(i for i in kingston.identifiers if i.type == "passport")
    assert passport.country == "GB"
    assert passport.note and passport.note.startswith("expires")
    assert kingston.nationalities == ("CD", "GB")
    bel_kap = entity("small-fixture", "44525")
    registrations = [i for i in bel_kap.identifiers if i.type == "registration"]
    assert {(i.value, i.country, i.note) for i in registrations} == {
        ("0582030", "US", "Connecticut"),
        ("M99000000961", "US", "Florida"),
    }
    assert bel_kap.property_values("incorporationDate") == ("1998",)


def test_linked_to_relations_are_resolved_within_the_parse() -> None:
    result = parsed("2021-07-07")
    by_id = {e.id: e for e in result.entities}
    relations = [r for e in result.entities for r in e.relations]
    assert len(relations) > 3000
    resolved = [r for r in relations if r.target_id]
    assert len(resolved) / len(relations) > 0.99
    # Resolved by primary name (or, failing that, by a unique a.k.a.).
    assert all(
        r.target_name
        in {n.full.rstrip(".") for n in by_id[r.target_id].names}
        | {n.full for n in by_id[r.target_id].names}
        for r in resolved
    )
    assert sum(by_id[r.target_id].caption == r.target_name for r in resolved) > 3300
    nishiguchi = entity("2021-07-07", "15496")
    (link,) = nishiguchi.relations
    assert by_id[str(link.target_id)].caption == "SUMIYOSHI-KAI"
    # Two entries are called MINISTRY OF STATE SECURITY: the link stays unresolved.
    ambiguous = entity("2021-07-07", "20130")
    assert any(
        r.target_name == "MINISTRY OF STATE SECURITY" and r.target_id is None
        for r in ambiguous.relations
    )


def test_remarks_continued_in_the_comments_file_and_cut_remarks_without_it() -> None:
    # 12300's Remarks end "... PROMO RAI" in sdn.csv; sdn_comments.csv continues "Z S.A.S.; ...".
    full = entity("2021-07-07", "12300")
    targets = {r.target_name for r in full.relations}
    assert "PROMO RAIZ S.A.S" in targets or "PROMO RAIZ S.A.S." in targets
    assert "R D I S.A" in {t.rstrip(".") for t in targets}
    (notes,) = full.property_values("notes")
    assert "PROMO RAIZ S.A.S.; Linked To: RED MUNDIAL" in notes
    # The same entry in a later sdn.csv copy without its comments file: the cut piece is kept
    # as an unparsed remark, not turned into a relation to "PROMO RAI".
    cut = entity("sdn-2021-08-18", "12300")
    assert not {r.target_name for r in cut.relations} & {"PROMO RAI"}
    assert cut.remarks[-1].endswith("PROMO RAI")
    assert any("cut at OFAC's length limit" in w for w in parsed("sdn-2021-08-18").warnings)


def test_circa_and_range_birth_dates() -> None:
    assert entity("2021-07-07", "7782").birth_dates == (
        DateValue("1951", circa=True, text="circa 1951"),
    )
    (years,) = entity("2021-07-07", "15496").birth_dates
    assert (years.value, years.end) == ("1929", "1930")
    (days,) = entity("2021-07-07", "16540").birth_dates
    assert (days.value, days.end) == ("1977-01-01", "1985-12-31")


@pytest.mark.slow
def test_alternative_birth_dates() -> None:
    # "DOB 30 Mar 1989; alt. DOB 30 Mar 1988" (tag shortened to BELARUS-EO in this copy).
    shapetska = entity("sdn-2021-08-18", "31731")
    assert shapetska.birth_dates == (DateValue("1989-03-30"), DateValue("1988-03-30"))
    assert shapetska.designations[0].legal_basis == "E.O. 14038"


def test_company_or_organization() -> None:
    restaurant = entity("2026", "55026")  # "Organization Type: Restaurants and mobile food ..."
    assert restaurant.schema is Schema.COMPANY
    armed_group = entity("2026", "49758")  # TWIRWANEHO, "Target Type Armed Group."
    assert armed_group.schema is Schema.ORGANIZATION
    assert armed_group.property_values("classification") == ("Armed Group",)


def test_unstructured_remarks_stay_and_the_full_text_is_kept() -> None:
    tnk = entity("small-fixture", "28603")
    (notes,) = tnk.property_values("notes")
    assert notes.startswith(
        "Executive Order 13662 Directive Determination - Subject to Directive 2"
    )
    assert "Executive Order 13662 Directive Determination - Subject to Directive 2" in tnk.remarks
    assert "SECONDARY-UKRAINE-RUSSIA" in tnk.programs


# -- partial sets (no sdn.csv) --------------------------------------------------------------


def test_partial_set_without_main_file() -> None:
    result = parsed("partial-2025-12")
    assert len(result.entities) == 18494
    assert {e.schema for e in result.entities} == {Schema.THING}
    assert any("no main file" in w for w in result.warnings)
    cartel = entity("partial-2025-12", "55025")
    assert names(cartel, NameKind.AKA) == {"CARTEL OF THE SUNS"}
    assert cartel.designations == ()
    # sdn_comments.csv holds only the tail of a remark: its cut first piece stays unparsed,
    # the rest is structured.
    wallets = [i for i in entity("partial-2025-12", "22985").identifiers]
    assert wallets and all(i.type == "crypto_wallet" for i in wallets)
    assert entity("partial-2025-12", "22985").remarks[0].startswith("4X3191Z8")
    assert len(parsed("partial-2025-01").entities) == 16989


# -- file recognition and bad input ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("SDN.CSV", ofac.Role.MAIN),
        ("sdn-2024-05-03.csv", ofac.Role.MAIN),
        ("sdn_excerpt.csv", ofac.Role.MAIN),
        ("CONS_PRIM.CSV", ofac.Role.MAIN),
        ("ADD.CSV", ofac.Role.ADDRESSES),
        ("cons_add.csv", ofac.Role.ADDRESSES),
        ("alt.csv", ofac.Role.ALIASES),
        ("CONS_ALT.CSV", ofac.Role.ALIASES),
        ("SDN_COMMENTS.CSV", ofac.Role.COMMENTS),
        ("cons_comments.csv", ofac.Role.COMMENTS),
        ("download.csv", None),
    ],
)
def test_file_roles_from_names(name: str, role: ofac.Role | None) -> None:
    assert ofac.file_role(name) is role


# Small fixtures below follow the published legacy CSV layout (no header, 12 / 6 / 5 / 2
# columns, "-0-" for empty); they are written here, not taken from a real file.
MAIN_ROW = (
    b'306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    b"\"a.k.a. 'BNC'.\"\r\n"
)
ALT_ROW = b'306,220,"aka","NATIONAL BANK OF CUBA",-0- \r\n'


def test_files_without_telling_names_are_recognised_by_their_columns() -> None:
    result = ofac.parse(
        [SourceFile("a.csv", MAIN_ROW + b"\x1a"), SourceFile("b.csv", ALT_ROW)], "x"
    )
    (bank,) = result.entities
    assert names(bank, NameKind.AKA) == {"NATIONAL BANK OF CUBA"}
    assert names(bank, NameKind.WEAK) == {"BNC"}
    with pytest.raises(ParseError, match=r"c\.csv: cannot tell which OFAC file"):
        ofac.parse([SourceFile("c.csv", b"1,2,3\r\n")], "x")


def test_cp1252_bytes_are_accepted() -> None:
    data = MAIN_ROW.replace(b"BANCO NACIONAL", b"BANCO NACI\xd3NAL")
    (bank,) = ofac.parse([SourceFile("sdn.csv", data)], "x").entities
    assert bank.caption == "BANCO NACIÓNAL DE CUBA"


def test_unknown_program_tag_still_designates_and_warns() -> None:
    data = MAIN_ROW.replace(b'"CUBA"', b'"CUBA] [NEW-EO99999"')
    result = ofac.parse([SourceFile("sdn.csv", data)], "x")
    (bank,) = result.entities
    new = next(d for d in bank.designations if d.program == "NEW-EO99999")
    assert (new.authority, new.program_title) == (
        "US Department of the Treasury, OFAC",
        "NEW-EO99999",
    )
    assert any("NEW-EO99999" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("sdn.csv", MAIN_ROW + MAIN_ROW[:-8], r"sdn\.csv line 2: malformed CSV"),  # mid-quote
        ("sdn.csv", MAIN_ROW + MAIN_ROW[:60], r"sdn\.csv line 2: expected 12 columns"),
        ("sdn.csv", MAIN_ROW + b'307,"X",-0- ,"CUBA"\r\n', r"sdn\.csv line 2: expected 12 col"),
        ("alt.csv", MAIN_ROW, r"alt\.csv line 1: expected 5 columns"),
        ("sdn.csv", MAIN_ROW.decode().encode("utf-16"), r"sdn\.csv: looks like UTF-16"),
        ("sdn.csv", b"", r"sdn\.csv: file is empty"),
        ("add.csv", b"\r\n\x1a", r"add\.csv: file is empty"),
        ("sdn.csv", bytes(range(256)) * 8, r"sdn\.csv: looks like UTF-16 or binary"),
        ("sdn.csv", b"\x81\x8d junk \x90" * 50, r"sdn\.csv: not valid UTF-8"),
        ("sdn.csv", MAIN_ROW.replace(b"306,", b"3O6,"), r"entry number '3O6' is not a number"),
    ],
    ids=["cut-mid-quote", "cut-mid-row", "short-row", "wrong-file", "utf16", "empty",
         "only-eof", "binary", "junk", "bad-ent-num"],
)  # fmt: skip
def test_bad_input_is_rejected_naming_the_file(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        ofac.parse([SourceFile(name, data)], "x")


def test_no_files_is_an_error() -> None:
    with pytest.raises(ParseError):
        ofac.parse([], "x")
