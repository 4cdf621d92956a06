"""Hostile and broken XML against parse_xml and the XML list parsers (un-xml, sema-xml).

The attack documents are small fixtures written here from the well-known patterns (billion
laughs, quadratic blow-up, XXE, remote DTD); the truncated and wrong-kind cases use the real
list files.
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tamiz.model import ParseError, SourceFile
from tamiz.sources import sema, un
from tamiz.sources.common import parse_xml

UN_BODY = (
    '<CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00.000Z"><INDIVIDUALS><INDIVIDUAL>'
    "<DATAID>1</DATAID><FIRST_NAME>TEST</FIRST_NAME><SECOND_NAME>{name}</SECOND_NAME>"
    "<UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><REFERENCE_NUMBER>QDi.999</REFERENCE_NUMBER>"
    "<LISTED_ON>2020-01-01</LISTED_ON></INDIVIDUAL></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>"
)


def billion_laughs(prefix: str = "") -> bytes:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n'
        + prefix
        + "<!DOCTYPE CONSOLIDATED_LIST [\n"
        + "\n".join(levels)
        + "\n]>\n"
        + UN_BODY.format(name="&lol9;")
    ).encode()


def quadratic_blowup() -> bytes:
    # One 100 kB entity referenced 100,000 times: 10 GB if expanded.
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY a "'
        + "A" * 100_000
        + '">]>\n'
        + UN_BODY.format(name="&a;" * 100_000)
    ).encode()


def _parse_un(data: bytes, name: str = "hostile.xml"):
    return un.parse([SourceFile(name, data)], "un_sc")


@pytest.fixture()
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server on 127.0.0.1 recording every request path it receives."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = b'<!ENTITY ext "FETCHED-FROM-NETWORK">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(billion_laughs(), id="billion-laughs"),
        # A long comment pushes the DTD past any "look at the first few kB" check.
        pytest.param(billion_laughs("<!--" + "x" * 10_000 + "-->\n"), id="billion-laughs-late"),
        pytest.param(quadratic_blowup(), id="quadratic-blowup"),
        pytest.param(billion_laughs().decode().encode("utf-16"), id="billion-laughs-utf16"),
    ],
)
def test_entity_bombs_rejected_quickly(data: bytes) -> None:
    start = time.perf_counter()
    with pytest.raises(ParseError, match=r"^bomb\.xml: .*(entit|DTD)"):
        _parse_un(data, "bomb.xml")
    assert time.perf_counter() - start < 1.0


def test_bomb_memory_is_bounded() -> None:
    data = quadratic_blowup()
    tracemalloc.start()
    try:
        for bomb in (data, billion_laughs()):
            with pytest.raises(ParseError):
                _parse_un(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The document itself is ~0.4 MB; expanding it would need gigabytes.
    assert peak < 20 * 1024 * 1024, peak


def test_bomb_native_memory_is_bounded(tmp_path: Path) -> None:
    """tracemalloc cannot see libxml2's own allocations: compare the peak resident size of
    a child process that parses the bombs with one that only imports the parser."""
    script = textwrap.dedent(
        """
        import resource, sys
        sys.path.insert(0, {tests!r})
        from test_xml_safety import billion_laughs, quadratic_blowup, _parse_un
        if sys.argv[1] == "bomb":
            for data in (quadratic_blowup(), billion_laughs()):
                try:
                    _parse_un(data)
                except Exception:
                    pass
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        """
    ).format(tests=str(Path(__file__).parent))
    peaks = {}
    for mode in ("baseline", "bomb"):
        out = subprocess.run(
            [sys.executable, "-c", script, mode], capture_output=True, text=True, check=True
        )
        peaks[mode] = int(out.stdout.split()[-1])  # kB on Linux
    assert peaks["bomb"] - peaks["baseline"] < 64 * 1024, peaks


def test_external_entity_file_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doc = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
        + UN_BODY.format(name="&xxe;")
    ).encode()
    with pytest.raises(ParseError) as info:
        _parse_un(doc, "xxe.xml")
    assert str(info.value).startswith("xxe.xml: ")
    assert "TOP-SECRET" not in str(info.value)


def test_external_entity_http_not_fetched(http_server) -> None:
    base, requests = http_server
    doc = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY xxe SYSTEM "{base}/secret">]>\n'
        + UN_BODY.format(name="&xxe;")
    ).encode()
    with pytest.raises(ParseError):
        _parse_un(doc)
    param = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY % remote SYSTEM "{base}/p.dtd"> %remote;]>\n'
        + UN_BODY.format(name="X")
    ).encode()
    with pytest.raises(ParseError):
        _parse_un(param)
    assert requests == []


def test_external_dtd_with_network_url_not_fetched(http_server) -> None:
    base, requests = http_server
    doctype = f'<!DOCTYPE CONSOLIDATED_LIST SYSTEM "{base}/sc-sanctions.dtd">\n'
    # Without the DTD the document is still a list: it parses, and nothing is fetched.
    plain = ('<?xml version="1.0"?>\n' + doctype + UN_BODY.format(name="PERSON")).encode()
    (entity,) = _parse_un(plain).entities
    assert entity.caption == "TEST PERSON"
    # An entity only the remote DTD would define stays undefined: an error, not a fetch.
    uses_dtd = ('<?xml version="1.0"?>\n' + doctype + UN_BODY.format(name="&ext;")).encode()
    with pytest.raises(ParseError, match=r"^dtd\.xml: XML refers to entity &ext;"):
        _parse_un(uses_dtd, "dtd.xml")
    assert requests == []


def test_xinclude_not_processed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    include = (
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{secret.as_uri()}" '
        'parse="text"/>'
    )
    doc = ('<?xml version="1.0"?>\n' + UN_BODY.format(name="PERSON" + include)).encode()
    parsed = _parse_un(doc)
    assert "TOP-SECRET" not in repr(parsed)


def test_deep_nesting_rejected() -> None:
    doc = b"<CONSOLIDATED_LIST>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</CONSOLIDATED_LIST>"
    start = time.perf_counter()
    with pytest.raises(ParseError, match=r"^deep\.xml: malformed XML"):
        _parse_un(doc, "deep.xml")
    assert time.perf_counter() - start < 1.0


def test_malformed_xml_names_the_file() -> None:
    with pytest.raises(ParseError, match=r"^broken\.xml: malformed XML .*line 1"):
        _parse_un(b"<CONSOLIDATED_LIST><INDIVIDUALS></ENTITIES></CONSOLIDATED_LIST>", "broken.xml")


def test_truncated_real_file(lists_dir: Path) -> None:
    data = (lists_dir / "un_sc" / "consolidated-2026-02-27.xml").read_bytes()
    half = data[: len(data) // 2]
    with pytest.raises(ParseError, match=r"^consolidated-2026-02-27\.xml: malformed XML"):
        _parse_un(half, "consolidated-2026-02-27.xml")


def test_truncated_sema_file(lists_dir: Path) -> None:
    data = (lists_dir / "ca_sema" / "sema-lmes-2020-04.xml").read_bytes()
    with pytest.raises(ParseError, match=r"^sema\.xml: malformed XML"):
        sema.parse([SourceFile("sema.xml", data[: len(data) // 3])], "ca_sema")


@pytest.mark.parametrize("data", [b"", b"  \n\t\n"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(ParseError, match=r"^empty\.xml: empty file"):
        _parse_un(data, "empty.xml")
    with pytest.raises(ParseError, match=r"^empty\.xml: empty file"):
        sema.parse([SourceFile("empty.xml", data)], "ca_sema")


def test_wrong_kind_of_list(lists_dir: Path) -> None:
    path = lists_dir / "ca_sema" / "sema-lmes-2020-04.xml"
    with pytest.raises(ParseError) as info:
        _parse_un(path.read_bytes(), path.name)
    assert str(info.value).startswith(
        "sema-lmes-2020-04.xml: not a UN consolidated list: root element is <data-set>"
    )


def test_right_root_but_no_records() -> None:
    doc = b'<CONSOLIDATED_LIST dateGenerated="2026-01-01"><INDIVIDUALS/><ENTITIES/>'
    doc += b"</CONSOLIDATED_LIST>"
    with pytest.raises(ParseError, match="without any INDIVIDUAL or ENTITY"):
        _parse_un(doc, "hollow.xml")


def test_binary_data_is_not_xml() -> None:
    with pytest.raises(ParseError, match=r"^blob\.xml: malformed XML"):
        parse_xml(bytes(range(256)) * 4, "blob.xml")
