"""Source registry: the list formats tamiz reads and the built-in datasets.

Every format is one module exposing ``parse(files, dataset) -> ParsedList`` where ``files``
is a sequence of :class:`~tamiz.model.SourceFile` (name + bytes; multi-file formats such as
the OFAC CSV set receive all their files at once) and ``dataset`` is the dataset id used to
build entity ids (``DATASET:NATIVE_ID``). Parsers touch nothing but the bytes they are given.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tamiz.model import ParsedList, SourceFile

Parser = Callable[[Sequence[SourceFile], str], ParsedList]


@dataclass(frozen=True, slots=True)
class Format:
    id: str
    title: str
    module: str  # module under tamiz.sources exposing parse()

    def parser(self) -> Parser:
        return importlib.import_module(f"tamiz.sources.{self.module}").parse


@dataclass(frozen=True, slots=True)
class MirrorSnapshot:
    """Files of one snapshot inside an offline mirror of the official downloads.

    ``paths`` are globs relative to the mirror root; everything they match together forms one
    snapshot. ``published`` overrides the publication date for sets whose file names and
    contents do not state it.
    """

    paths: tuple[str, ...]
    published: str | None = None


@dataclass(frozen=True, slots=True)
class Dataset:
    id: str
    title: str
    publisher: str
    format: str
    urls: tuple[str, ...] = ()  # official download locations (all files of one snapshot)
    # Offline mirror layout (our machines read ../shared/data/lists). A plain glob string
    # yields one snapshot per match (file or directory); a MirrorSnapshot groups files.
    mirror: tuple[str | MirrorSnapshot, ...] = ()
    note: str | None = None
    # A JSON API that pages its results (``?page=N&pageSize=M``); all pages form one snapshot.
    paged: bool = False


FORMATS: dict[str, Format] = {
    f.id: f
    for f in (
        Format("ofac-csv", "OFAC legacy CSV set (SDN / consolidated)", "ofac"),
        Format("un-xml", "UN Security Council consolidated list XML", "un"),
        Format("uk-ods", "UK FCDO Sanctions List, summary ODS export", "uk_fcdo"),
        Format("uk-csv", "UK FCDO Sanctions List, full CSV", "uk_fcdo"),
        Format("dfat-xlsx", "Australia DFAT consolidated list XLSX", "dfat"),
        Format("sema-xml", "Canada SEMA consolidated list XML", "sema"),
        Format("bis-dpl", "US BIS Denied Persons List (tab-separated)", "bis_dpl"),
        Format("ftm", "FollowTheMoney entities, JSON lines", "ftm"),
        Format("csv", "Your own list as CSV (name, aliases, schema, dob, ids...)", "user_csv"),
        Format("eu-fsf-xml", "EU Financial Sanctions File XML 1.1", "eu_fsf"),
        Format("uk-conlist-csv", "UK HM Treasury / OFSI ConList CSV (legacy)", "uk_conlist"),
        Format("fbi-wanted-json", "FBI Wanted API list pages, JSON", "fbi_wanted"),
    )
}

_OFAC = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"

DATASETS: dict[str, Dataset] = {
    d.id: d
    for d in (
        Dataset(
            "us_ofac_sdn",
            "US OFAC Specially Designated Nationals and Blocked Persons List",
            "US Department of the Treasury, Office of Foreign Assets Control",
            "ofac-csv",
            urls=tuple(_OFAC + f for f in ("SDN.CSV", "ADD.CSV", "ALT.CSV", "SDN_COMMENTS.CSV")),
            mirror=("us_ofac_sdn/2021-07-07", "us_ofac_sdn/history/sdn-*.csv"),
        ),
        Dataset(
            "us_ofac_sdn_2026",
            "US OFAC SDN, 2026 excerpt with the 2025-12-24 alias/address files",
            "US Department of the Treasury, Office of Foreign Assets Control",
            "ofac-csv",
            mirror=(
                MirrorSnapshot(
                    (
                        "us_ofac_sdn/2026-excerpt/sdn_excerpt.csv",
                        "us_ofac_sdn/2025-12-24-partial/*.csv",
                    ),
                    published="2026-01-01",
                ),
            ),
            note="Offline stand-in for a current SDN file: only the excerpted entries.",
        ),
        Dataset(
            "us_ofac_cons",
            "US OFAC Consolidated (non-SDN) Sanctions List",
            "US Department of the Treasury, Office of Foreign Assets Control",
            "ofac-csv",
            urls=tuple(
                _OFAC + f
                for f in ("CONS_PRIM.CSV", "CONS_ADD.CSV", "CONS_ALT.CSV", "CONS_COMMENTS.CSV")
            ),
            mirror=("us_ofac_cons/*",),
        ),
        Dataset(
            "un_sc",
            "UN Security Council Consolidated List",
            "United Nations Security Council",
            "un-xml",
            urls=("https://scsanctions.un.org/resources/xml/en/consolidated.xml",),
            mirror=("un_sc/consolidated-*.xml",),
        ),
        Dataset(
            "gb_fcdo",
            "UK Sanctions List",
            "UK Foreign, Commonwealth & Development Office",
            "uk-csv",
            urls=("https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.csv",),
            mirror=("gb_fcdo/*.ods",),
        ),
        Dataset(
            "au_dfat",
            "Australia DFAT Consolidated List",
            "Australian Government, Department of Foreign Affairs and Trade",
            "dfat-xlsx",
            urls=("https://www.dfat.gov.au/sites/default/files/regulation8_consolidated.xlsx",),
            mirror=("au_dfat/*.xlsx",),
        ),
        Dataset(
            "ca_sema",
            "Canada Consolidated Special Economic Measures Act Sanctions List",
            "Global Affairs Canada",
            "sema-xml",
            urls=(
                "https://www.international.gc.ca/world-monde/assets/office_docs/"
                "international_relations-relations_internationales/sanctions/sema-lmes.xml",
            ),
            mirror=("ca_sema/*.xml",),
        ),
        Dataset(
            "us_bis_dpl",
            "US BIS Denied Persons List",
            "US Department of Commerce, Bureau of Industry and Security",
            "bis-dpl",
            urls=("https://www.bis.doc.gov/dpl/dpl.txt",),
            mirror=("us_bis_dpl/*.txt",),
        ),
        Dataset(
            "eu_fsf",
            "EU Financial Sanctions File (consolidated list of EU financial sanctions)",
            "European Commission, DG FISMA",
            "eu-fsf-xml",
            # {token}: the (free) token from the Commission's FSF platform, read from the
            # environment variable TAMIZ_EU_FSF_TOKEN by the downloader.
            urls=(
                "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/"
                "content?token={token}",
            ),
            mirror=("eu_fsf/*.xml",),
            note="The official download needs a token: set TAMIZ_EU_FSF_TOKEN.",
        ),
        Dataset(
            "gb_hmt",
            "UK HM Treasury / OFSI Consolidated List (legacy ConList)",
            "HM Treasury, Office of Financial Sanctions Implementation",
            "uk-conlist-csv",
            mirror=("gb_hmt/*.csv",),
            note=(
                "Retired format, no live URL: OFSI's ConList was replaced by the FCDO UK "
                "Sanctions List (dataset gb_fcdo); load archived copies with --from."
            ),
        ),
        Dataset(
            "us_fbi_wanted",
            "FBI Wanted (wanted persons only)",
            "US Federal Bureau of Investigation",
            "fbi-wanted-json",
            urls=("https://api.fbi.gov/wanted/v1/list",),
            mirror=("us_fbi_wanted/*.json",),
            paged=True,
            note="Paged API (page, pageSize): every page is fetched politely and loaded together.",
        ),
    )
}


def format_for(dataset: str, explicit: str | None = None) -> Format:
    """The format to parse ``dataset`` with: explicit, else the built-in dataset's format."""
    if explicit:
        if explicit not in FORMATS:
            known = ", ".join(sorted(FORMATS))
            raise KeyError(f"unknown format {explicit!r}; known formats: {known}")
        return FORMATS[explicit]
    if dataset in DATASETS:
        return FORMATS[DATASETS[dataset].format]
    raise KeyError(f"dataset {dataset!r} is not built in; say which --format it uses")
