"""Free-text scanning and payment screening speed with every list loaded.

    .venv/bin/python -m benchmarks.text_and_payments [--messages 4000] [--workers 2]

Prints one table: index build, a 100 KB text scanned cold (fresh index, empty caches) and
warm (a second, different 100 KB text), and payment messages per second (parse + screen,
ISO 20022 and MT mixed) in one process and in ``--workers`` forked processes.

The texts are news-style prose made here: filler sentences, people who are on no list
(``eval/negatives/vr_negatives_global.csv``, 45 % non-Latin scripts), listed names taken
from the index and the reference article. The messages follow the published pacs.008,
pacs.009, pain.001, MT103 and MT202 layouts with parties drawn from the same clean names,
2 % of them listed.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import os
import random
import time
from pathlib import Path

from benchmarks.corpus import entities_of, load_all_lists

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT / ".." / "shared" / "data").resolve()
ARTICLE = DATA / "text" / "news-2025-11-cartel-de-los-soles-fto.txt"
NEGATIVES = DATA / "eval" / "negatives" / "vr_negatives_global.csv"

FILLER = [
    "The council met on {day} to discuss the budget for the coming year.",
    "According to officials, the new bridge will open in {month}.",
    "{name} told reporters that the talks had been constructive.",
    "Shares of the company rose after {name} was appointed chief executive.",
    "The ministry said exports to Europe and Latin America grew by {n} percent.",
    "In a statement, {name} and {name2} called for calm.",
    "Police said the suspect, {name}, was arrested in the capital on {day}.",
    "Analysts expect inflation to ease, the central bank said on {day}.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONTHS = ["January", "March", "May", "July", "September", "November"]

_INDEX = None
_MESSAGES: list[tuple[str, bytes]] = []


def clean_names() -> list[str]:
    with NEGATIVES.open(encoding="utf-8") as fh:
        return [row["full_name"] for row in csv.DictReader(fh) if row["full_name"]]


def make_text(rng: random.Random, people: list[str], listed: list[str], size: int) -> str:
    article = ARTICLE.read_text(encoding="utf-8") if ARTICLE.is_file() else ""
    parts: list[str] = []
    total = 0
    while total < size:
        template = rng.choice(FILLER)
        sentence = template.format(
            day=rng.choice(DAYS),
            month=rng.choice(MONTHS),
            n=rng.randint(2, 40),
            name=rng.choice(people),
            name2=rng.choice(listed) if rng.random() < 0.05 else rng.choice(people),
        )
        if rng.random() < 0.01 and article:
            sentence += "\n\n" + article + "\n\n"
        parts.append(sentence)
        total += len(sentence) + 1
    return " ".join(parts)[:size]


# -- messages (published layouts, as in tests/test_messages.py) ----------------------------


def _pacs008(i: int, debtor: str, creditor: str, text: str) -> bytes:
    return f"""<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>
<GrpHdr><MsgId>B008-{i}</MsgId><CreDtTm>2025-11-25T09:30:00</CreDtTm><NbOfTxs>1</NbOfTxs>
<SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf></GrpHdr><CdtTrfTxInf>
<PmtId><EndToEndId>E{i}</EndToEndId></PmtId><IntrBkSttlmAmt Ccy="EUR">{i}.00</IntrBkSttlmAmt>
<IntrBkSttlmDt>2025-11-25</IntrBkSttlmDt><ChrgBr>SHAR</ChrgBr>
<InstgAgt><FinInstnId><BICFI>DEUTDEFFXXX</BICFI></FinInstnId></InstgAgt>
<InstdAgt><FinInstnId><BICFI>BNPAFRPPXXX</BICFI></FinInstnId></InstdAgt>
<Dbtr><Nm>{debtor}</Nm><PstlAdr><StrtNm>Main Street</StrtNm><TwnNm>Berlin</TwnNm>
<Ctry>DE</Ctry></PstlAdr></Dbtr><DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct>
<DbtrAgt><FinInstnId><BICFI>DEUTDEFFXXX</BICFI></FinInstnId></DbtrAgt>
<CdtrAgt><FinInstnId><BICFI>BNPAFRPPXXX</BICFI></FinInstnId></CdtrAgt>
<Cdtr><Nm>{creditor}</Nm><PstlAdr><TwnNm>Lyon</TwnNm><Ctry>FR</Ctry></PstlAdr></Cdtr>
<CdtrAcct><Id><IBAN>FR1420041010050500013M02606</IBAN></Id></CdtrAcct>
<RmtInf><Ustrd>{text}</Ustrd></RmtInf></CdtTrfTxInf></FIToFICstmrCdtTrf></Document>""".encode()


def _pain001(i: int, debtor: str, creditor: str, text: str) -> bytes:
    return f"""<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn>
<GrpHdr><MsgId>P001-{i}</MsgId><CreDtTm>2025-11-25T08:00:00</CreDtTm><NbOfTxs>1</NbOfTxs>
<InitgPty><Nm>{debtor}</Nm></InitgPty></GrpHdr><PmtInf><PmtInfId>P{i}</PmtInfId>
<PmtMtd>TRF</PmtMtd><ReqdExctnDt><Dt>2025-11-26</Dt></ReqdExctnDt>
<Dbtr><Nm>{debtor}</Nm></Dbtr><DbtrAcct><Id><IBAN>CH9300762011623852957</IBAN></Id></DbtrAcct>
<DbtrAgt><FinInstnId><BICFI>UBSWCHZH80A</BICFI></FinInstnId></DbtrAgt><CdtTrfTxInf>
<PmtId><EndToEndId>E{i}</EndToEndId></PmtId><Amt><InstdAmt Ccy="EUR">{i}.00</InstdAmt></Amt>
<CdtrAgt><FinInstnId><BICFI>NWBKGB2LXXX</BICFI></FinInstnId></CdtrAgt>
<Cdtr><Nm>{creditor}</Nm><PstlAdr><TwnNm>London</TwnNm><Ctry>GB</Ctry></PstlAdr></Cdtr>
<CdtrAcct><Id><IBAN>GB29NWBK60161331926819</IBAN></Id></CdtrAcct>
<RmtInf><Ustrd>{text}</Ustrd></RmtInf></CdtTrfTxInf></PmtInf></CstmrCdtTrfInitn></Document>""".encode()


def _pacs009(i: int, debtor: str, creditor: str, text: str) -> bytes:
    return f"""<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.009.001.08"><FICdtTrf>
<GrpHdr><MsgId>B009-{i}</MsgId><CreDtTm>2025-11-25T10:00:00</CreDtTm><NbOfTxs>1</NbOfTxs>
<SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf></GrpHdr><CdtTrfTxInf>
<PmtId><EndToEndId>E{i}</EndToEndId></PmtId><IntrBkSttlmAmt Ccy="USD">{i}.00</IntrBkSttlmAmt>
<Dbtr><FinInstnId><BICFI>DEUTDEFFXXX</BICFI></FinInstnId></Dbtr>
<Cdtr><FinInstnId><BICFI>CHASUS33XXX</BICFI></FinInstnId></Cdtr><UndrlygCstmrCdtTrf>
<Dbtr><Nm>{debtor}</Nm></Dbtr><Cdtr><Nm>{creditor}</Nm></Cdtr>
<RmtInf><Ustrd>{text}</Ustrd></RmtInf></UndrlygCstmrCdtTrf></CdtTrfTxInf></FICdtTrf></Document>""".encode()


def _mt103(i: int, debtor: str, creditor: str, text: str) -> bytes:
    return (
        "{1:F01DEUTDEFFAXXX0000000000}{2:I103BNPAFRPPXXXXN}{4:\r\n"
        f":20:R103-{i}\r\n:23B:CRED\r\n:32A:251125EUR{i},00\r\n"
        f":50K:/DE89370400440532013000\r\n{debtor[:35]}\r\nHAUPTSTRASSE 5\r\nBERLIN\r\n"
        ":52A:DEUTDEFF\r\n:57A:BNPAFRPP\r\n"
        f":59:/FR1420041010050500013M02606\r\n{creditor[:35]}\r\nLYON\r\n"
        f":70:{text[:35]}\r\n:71A:SHA\r\n-}}"
    ).encode()


def _mt202(i: int, debtor: str, creditor: str, text: str) -> bytes:
    return (
        "{1:F01DEUTDEFFAXXX0000000000}{2:I202BNPAFRPPXXXXN}{3:{119:COV}}{4:\r\n"
        f":20:R202-{i}\r\n:21:REL-{i}\r\n:32A:251125USD{i},00\r\n:52A:DEUTDEFF\r\n"
        ":57A:CHASUS33\r\n:58A:BNPAFRPP\r\n"
        f":50K:/123\r\n{debtor[:35]}\r\n:59:/456\r\n{creditor[:35]}\r\n:70:{text[:35]}\r\n-}}"
    ).encode()


BUILDERS = [_pacs008, _pacs008, _pain001, _pacs009, _mt103, _mt103, _mt202]


def make_messages(rng: random.Random, people: list[str], listed: list[str], n: int):
    from xml.sax.saxutils import escape

    out = []
    for i in range(n):
        debtor = rng.choice(listed) if rng.random() < 0.02 else rng.choice(people)
        creditor = rng.choice(people)
        text = f"INVOICE {rng.randint(1000, 99999)} {rng.choice(['GOODS', 'SERVICES', 'RENT'])}"
        build = BUILDERS[i % len(BUILDERS)]
        if build in (_mt103, _mt202):
            debtor, creditor = debtor.upper(), creditor.upper()
        else:
            debtor, creditor = escape(debtor), escape(creditor)
        out.append((f"m{i}", build(i, debtor, creditor, text)))
    return out


def _screen_range(bounds: tuple[int, int]) -> tuple[int, int, int, float]:
    from tamiz.messages import MessageError, read_messages
    from tamiz.screen.payments import PaymentScreener

    cpu = time.process_time()
    screener = PaymentScreener(_INDEX)
    held = errors = 0
    for name, data in _MESSAGES[bounds[0] : bounds[1]]:
        for item in read_messages(data, name):
            if isinstance(item, MessageError):
                errors += 1
            elif screener.screen(item).decision == "hold":
                held += 1
    return bounds[1] - bounds[0], held, errors, time.process_time() - cpu


def main() -> None:
    global _INDEX, _MESSAGES
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--text-kb", type=int, default=100)
    args = parser.parse_args()

    from tamiz.match import MatchIndex
    from tamiz.screen.text import TextScanner

    rows: list[tuple[str, str]] = []
    started = time.perf_counter()
    snapshots = load_all_lists()
    entities = entities_of(snapshots)
    parsed = time.perf_counter() - started
    started = time.perf_counter()
    index = MatchIndex.build(entities)
    built = time.perf_counter() - started
    loaded = ", ".join(s.dataset for s in snapshots if s.entities)
    rows.append(("lists loaded", f"{len(index):,} entities ({loaded})"))
    rows.append(("parse + build index", f"{parsed:.1f} s + {built:.1f} s"))

    rng = random.Random(20251124)
    people = clean_names()
    listed = [e.caption for e in rng.sample(entities, 200) if e.caption]
    size = args.text_kb * 1000
    first, second = make_text(rng, people, listed, size), make_text(rng, people, listed, size)

    for label, text in (("cold: first scan after loading", first), ("warm: another text", second)):
        cpu, wall = time.process_time(), time.perf_counter()
        found = TextScanner(index).scan(text)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        rows.append(
            (
                f"scan {len(text) // 1000} KB text, {label}",
                f"{cpu * 1000:.0f} ms CPU, {wall * 1000:.0f} ms wall ({len(found)} mentions)",
            )
        )

    _INDEX = index
    _MESSAGES = make_messages(rng, people, listed, args.messages)
    t0 = time.perf_counter()
    n, held, errors, cpu = _screen_range((0, len(_MESSAGES)))
    single = time.perf_counter() - t0
    rows.append(
        (
            "payments, 1 process",
            f"{n / cpu:,.0f} messages per CPU second, {n / single:,.0f}/s wall "
            f"({held} held, {errors} errors of {n})",
        )
    )
    if args.workers > 1:
        ctx = mp.get_context("fork")
        step = -(-len(_MESSAGES) // args.workers)
        parts = [(a, min(a + step, len(_MESSAGES))) for a in range(0, len(_MESSAGES), step)]
        t0 = time.perf_counter()
        with ctx.Pool(args.workers) as pool:
            done = pool.map(_screen_range, parts)
        multi = time.perf_counter() - t0
        total = sum(d[0] for d in done)
        busiest = max(d[3] for d in done)
        rows.append(
            (
                f"payments, {args.workers} processes",
                f"{total / busiest:,.0f} messages/s by the busiest worker's CPU time, "
                f"{total / multi:,.0f}/s wall incl. start-up",
            )
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows.append(("machine", f"{os.cpu_count()} cores, load average {load:.1f} during the run"))

    width = max(len(k) for k, _ in rows)
    print(f"\n{'measure'.ljust(width)}  result")
    print(f"{'-' * width}  {'-' * 40}")
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
