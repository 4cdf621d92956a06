"""Parsing payment messages: ISO 20022 pacs.008 / pacs.009 / pain.001 and SWIFT MT103 / MT202.

The fixtures are built here from the published message structures (ISO 20022 message
definitions: element names, nesting and order as in the pacs.008.001.08, pacs.009.001.08 and
pain.001.001.09 schemas; SWIFT FIN block layout and the MT103 / MT202 field formats); they
are not copies of real payments. The builders are shared with tests/test_payment.py.
"""

from __future__ import annotations

import pytest

from tamiz.messages import MessageError, parse_message, read_messages

PACS008_NS = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"
PACS009_NS = "urn:iso:std:iso:20022:tech:xsd:pacs.009.001.08"
PAIN001_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"


def _agent(tag: str, bic: str | None = None, name: str | None = None) -> str:
    inner = f"<BICFI>{bic}</BICFI>" if bic else ""
    if name:
        inner += f"<Nm>{name}</Nm>"
    return f"<{tag}><FinInstnId>{inner}</FinInstnId></{tag}>"


def _address(town: str | None, country: str | None, lines: tuple[str, ...] = (), sub=None) -> str:
    parts = ["<StrtNm>Main Street</StrtNm>"]
    if town:
        parts.append(f"<TwnNm>{town}</TwnNm>")
    if sub:
        parts.append(f"<CtrySubDvsn>{sub}</CtrySubDvsn>")
    if country:
        parts.append(f"<Ctry>{country}</Ctry>")
    parts += [f"<AdrLine>{x}</AdrLine>" for x in lines]
    return "<PstlAdr>" + "".join(parts) + "</PstlAdr>"


def party_xml(
    tag: str,
    name: str,
    *,
    town: str | None = "Berlin",
    country: str | None = "DE",
    sub: str | None = None,
    org: bool | None = None,
    ident: str | None = None,
    birth: str | None = None,
) -> str:
    ident_xml = ""
    if org is True:
        ident_xml = f"<Id><OrgId><Othr><Id>{ident or 'REG-1'}</Id></Othr></OrgId></Id>"
    elif org is False:
        dob = (
            f"<DtAndPlcOfBirth><BirthDt>{birth}</BirthDt><CityOfBirth>X</CityOfBirth>"
            "<CtryOfBirth>DE</CtryOfBirth></DtAndPlcOfBirth>"
            if birth
            else ""
        )
        ident_xml = f"<Id><PrvtId>{dob}<Othr><Id>{ident or 'P-1'}</Id></Othr></PrvtId></Id>"
    return f"<{tag}><Nm>{name}</Nm>{_address(town, country, sub=sub)}{ident_xml}</{tag}>"


def account_xml(tag: str, iban: str | None = None, other: str | None = None) -> str:
    if iban:
        return f"<{tag}><Id><IBAN>{iban}</IBAN></Id></{tag}>"
    return f"<{tag}><Id><Othr><Id>{other}</Id></Othr></Id></{tag}>"


def pacs008(
    msg_id: str = "MSG-008-1",
    *,
    debtor: str | None = None,
    creditor: str | None = None,
    debtor_agent: str = "DEUTDEFFXXX",
    creditor_agent: str = "BNPAFRPPXXX",
    intermediary: str | None = None,
    remittance: str = "Invoice 2025-118 office supplies",
    ns: str = PACS008_NS,
    debtor_account: str = "DE89370400440532013000",
    creditor_account: str = "FR1420041010050500013M02606",
) -> bytes:
    """pacs.008.001.08 FIToFICstmrCdtTrf with one transaction (schema element order)."""
    debtor = debtor or party_xml("Dbtr", "Greta Lindqvist", org=False)
    creditor = creditor or party_xml("Cdtr", "Atelier Moreau SARL", town="Lyon", country="FR")
    inter = _agent("IntrmyAgt1", intermediary) if intermediary else ""
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{ns}">
  <FIToFICstmrCdtTrf>
    <GrpHdr>
      <MsgId>{msg_id}</MsgId>
      <CreDtTm>2025-11-25T09:30:00</CreDtTm>
      <NbOfTxs>1</NbOfTxs>
      <SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf>
    </GrpHdr>
    <CdtTrfTxInf>
      <PmtId>
        <InstrId>INSTR-1</InstrId>
        <EndToEndId>E2E-1</EndToEndId>
        <UETR>8a562c67-ca16-48ba-b074-65581be6f011</UETR>
      </PmtId>
      <IntrBkSttlmAmt Ccy="EUR">1250.00</IntrBkSttlmAmt>
      <IntrBkSttlmDt>2025-11-25</IntrBkSttlmDt>
      <ChrgBr>SHAR</ChrgBr>
      {_agent("InstgAgt", debtor_agent)}
      {_agent("InstdAgt", creditor_agent)}
      {inter}
      {debtor}
      {account_xml("DbtrAcct", debtor_account)}
      {_agent("DbtrAgt", debtor_agent)}
      {_agent("CdtrAgt", creditor_agent)}
      {creditor}
      {account_xml("CdtrAcct", creditor_account)}
      <RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>
    </CdtTrfTxInf>
  </FIToFICstmrCdtTrf>
</Document>
"""
    return xml.encode()


def pacs009(
    msg_id: str = "MSG-009-1",
    *,
    debtor_bic: str = "DEUTDEFFXXX",
    creditor_bic: str = "CHASUS33XXX",
    creditor_name: str | None = None,
    underlying_debtor: str | None = None,
    underlying_creditor: str | None = None,
    remittance: str = "Cover for customer transfer",
) -> bytes:
    """pacs.009.001.08 FICdtTrf (cover variant, with UndrlygCstmrCdtTrf)."""
    udebtor = underlying_debtor or party_xml("Dbtr", "Nordlicht Handel GmbH", org=True)
    ucreditor = underlying_creditor or party_xml(
        "Cdtr", "Pacific Rim Imports LLC", town="Seattle", country="US", org=True
    )
    cdtr_name = f"<Nm>{creditor_name}</Nm>" if creditor_name else ""
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{PACS009_NS}">
  <FICdtTrf>
    <GrpHdr>
      <MsgId>{msg_id}</MsgId>
      <CreDtTm>2025-11-25T10:00:00</CreDtTm>
      <NbOfTxs>1</NbOfTxs>
      <SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf>
    </GrpHdr>
    <CdtTrfTxInf>
      <PmtId><InstrId>I-9</InstrId><EndToEndId>E-9</EndToEndId></PmtId>
      <IntrBkSttlmAmt Ccy="USD">50000.00</IntrBkSttlmAmt>
      <IntrBkSttlmDt>2025-11-25</IntrBkSttlmDt>
      {_agent("InstgAgt", debtor_bic)}
      {_agent("InstdAgt", creditor_bic)}
      <Dbtr><FinInstnId><BICFI>{debtor_bic}</BICFI></FinInstnId></Dbtr>
      <Cdtr><FinInstnId><BICFI>{creditor_bic}</BICFI>{cdtr_name}</FinInstnId></Cdtr>
      <UndrlygCstmrCdtTrf>
        {udebtor}
        {account_xml("DbtrAcct", "DE02100100109307118603")}
        {_agent("DbtrAgt", "DEUTDEFFXXX")}
        {_agent("CdtrAgt", "CHASUS33XXX")}
        {ucreditor}
        {account_xml("CdtrAcct", other="000123456789")}
        <RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>
        <InstdAmt Ccy="USD">50000.00</InstdAmt>
      </UndrlygCstmrCdtTrf>
    </CdtTrfTxInf>
  </FICdtTrf>
</Document>
"""
    return xml.encode()


def pain001(
    msg_id: str = "MSG-PAIN-1",
    *,
    debtor: str | None = None,
    creditor: str | None = None,
    creditor_account: str = "GB29NWBK60161331926819",
    remittance: str = "Consulting fees October",
    creditor_agent: str = "NWBKGB2LXXX",
) -> bytes:
    """pain.001.001.09 CstmrCdtTrfInitn: GrpHdr with InitgPty, one PmtInf, one transaction."""
    debtor = debtor or party_xml(
        "Dbtr", "Helios Solar Components AG", town="Zurich", country="CH", org=True
    )
    creditor = creditor or party_xml(
        "Cdtr", "Thomas Whitfield", town="London", country="GB", org=False
    )
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{PAIN001_NS}">
  <CstmrCdtTrfInitn>
    <GrpHdr>
      <MsgId>{msg_id}</MsgId>
      <CreDtTm>2025-11-25T08:00:00</CreDtTm>
      <NbOfTxs>1</NbOfTxs>
      <CtrlSum>980.00</CtrlSum>
      <InitgPty><Nm>Helios Solar Components AG</Nm></InitgPty>
    </GrpHdr>
    <PmtInf>
      <PmtInfId>PMT-1</PmtInfId>
      <PmtMtd>TRF</PmtMtd>
      <ReqdExctnDt><Dt>2025-11-26</Dt></ReqdExctnDt>
      {debtor}
      {account_xml("DbtrAcct", "CH9300762011623852957")}
      {_agent("DbtrAgt", "UBSWCHZH80A")}
      <CdtTrfTxInf>
        <PmtId><EndToEndId>E2E-P1</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="EUR">980.00</InstdAmt></Amt>
        {_agent("CdtrAgt", creditor_agent)}
        {creditor}
        {account_xml("CdtrAcct", creditor_account)}
        <RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>
      </CdtTrfTxInf>
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>
"""
    return xml.encode()


def mt103(
    ref: str = "REF103A",
    *,
    ordering: str = ":50K:/DE89370400440532013000\nGRETA LINDQVIST\nHAUPTSTRASSE 5\n10115 BERLIN",
    beneficiary: str = (
        ":59:/FR1420041010050500013M02606\nATELIER MOREAU SARL\n12 RUE DE LA PAIX\nLYON"
    ),
    remittance: str = "INVOICE 2025-118",
    extra: str = "",
    sender: str = "DEUTDEFFAXXX",
    receiver: str = "BNPAFRPPXXXX",
) -> bytes:
    """An MT103: basic header (F01 + sender LT), application header (input, MT103, receiver
    LT, priority N), user header with the UETR (field 121), text block, trailer."""
    fields = [
        f":20:{ref}",
        ":23B:CRED",
        ":32A:251125EUR1250,00",
        ":33B:EUR1250,00",
        ordering,
        ":52A:DEUTDEFF",
        *([extra] if extra else []),
        ":57A:BNPAFRPP",
        beneficiary,
        f":70:{remittance}",
        ":71A:SHA",
    ]
    body = "\r\n".join(fields).replace("\n", "\r\n").replace("\r\r\n", "\r\n")
    text = (
        f"{{1:F01{sender}0000000000}}{{2:I103{receiver}N}}"
        "{3:{121:8a562c67-ca16-48ba-b074-65581be6f011}}"
        f"{{4:\r\n{body}\r\n-}}{{5:{{CHK:123456789ABC}}}}"
    )
    return text.encode()


def mt202(
    ref: str = "REF202A",
    *,
    ordering_bic: str = "DEUTDEFF",
    intermediary: str = ":56A:CHASUS33",
    account_with: str = ":57A:IRVTUS3N",
    beneficiary: str = ":58A:BNPAFRPP",
    info: str = "/BNF/TREASURY TRANSFER",
    cover: bool = False,
    underlying: str = "",
) -> bytes:
    """An MT202 (or MT202 COV with {119:COV} and a sequence B of the underlying customer
    transfer: 50a, 59a, 70)."""
    fields = [
        f":20:{ref}",
        ":21:RELATED-1",
        ":32A:251125USD50000,00",
        f":52A:{ordering_bic}",
        intermediary,
        account_with,
        beneficiary,
        f":72:{info}",
    ]
    if underlying:
        fields.append(underlying)
    body = "\r\n".join(f for f in fields if f).replace("\n", "\r\n").replace("\r\r\n", "\r\n")
    user = "{3:{119:COV}}" if cover else ""
    text = f"{{1:F01DEUTDEFFAXXX0000000000}}{{2:I202BNPAFRPPXXXXN}}{user}{{4:\r\n{body}\r\n-}}"
    return text.encode()


# -- ISO 20022 ----------------------------------------------------------------------------


def test_pacs008_parties_agents_accounts_and_remittance():
    msg = parse_message(pacs008(intermediary="CITIUS33XXX"), "a.xml")
    assert (msg.type, msg.message_id) == ("pacs.008.001.08", "MSG-008-1")
    roles = {p.role: p for p in msg.parties}
    assert {"debtor", "creditor", "debtor_agent", "creditor_agent", "instructing_agent"} <= set(
        roles
    )
    assert roles["intermediary_agent_1"].bic == "CITIUS33XXX"
    debtor = roles["debtor"]
    assert debtor.name == "Greta Lindqvist" and debtor.schema == "Person"
    assert (debtor.town, debtor.country) == ("Berlin", "DE")
    assert debtor.account == "DE89370400440532013000"
    assert debtor.path_of("name") == "/Document/FIToFICstmrCdtTrf/CdtTrfTxInf/Dbtr/Nm"
    assert debtor.path_of("account").endswith("/CdtTrfTxInf/DbtrAcct/Id/IBAN")
    assert roles["creditor"].account == "FR1420041010050500013M02606"
    assert roles["debtor_agent"].bic == "DEUTDEFFXXX" and roles["debtor_agent"].agent
    [text] = msg.texts
    assert text.text == "Invoice 2025-118 office supplies"
    assert text.path.endswith("/CdtTrfTxInf/RmtInf/Ustrd")
    assert msg.amounts[0][1:] == ("EUR", "1250.00")


def test_pacs008_other_versions_and_private_id_birth_date():
    debtor = party_xml("Dbtr", "Greta Lindqvist", org=False, birth="1971-04-02")
    msg = parse_message(
        pacs008(ns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.02", debtor=debtor), "v2.xml"
    )
    assert msg.type == "pacs.008.001.02"
    d = next(p for p in msg.parties if p.role == "debtor")
    assert d.birth_date == "1971-04-02" and d.other_ids == ("P-1",)


def test_pacs009_cover_reads_banks_and_underlying_customers():
    msg = parse_message(pacs009(creditor_name="Chase Bank"), "b.xml")
    assert msg.type == "pacs.009.001.08"
    roles = {p.role: p for p in msg.parties}
    assert roles["debtor"].agent and roles["debtor"].bic == "DEUTDEFFXXX"
    assert roles["creditor"].name == "Chase Bank"
    assert roles["underlying_debtor"].name == "Nordlicht Handel GmbH"
    assert roles["underlying_debtor"].schema == "Organization"
    assert roles["underlying_creditor"].account == "000123456789"
    assert roles["underlying_creditor"].country == "US"
    assert [t.text for t in msg.texts] == ["Cover for customer transfer"]


def test_pain001_initiating_party_and_payment_information():
    msg = parse_message(pain001(), "c.xml")
    assert (msg.type, msg.message_id) == ("pain.001.001.09", "MSG-PAIN-1")
    roles = {p.role: p for p in msg.parties}
    assert roles["initiating_party"].name == "Helios Solar Components AG"
    assert roles["debtor"].account == "CH9300762011623852957"
    assert roles["debtor_agent"].bic == "UBSWCHZH80A"
    assert roles["creditor"].schema == "Person"
    assert roles["creditor"].path_of("name") == (
        "/Document/CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf/Cdtr/Nm"
    )


def test_business_application_header_envelope_is_accepted():
    inner = pacs008().decode().split("?>", 1)[1]
    wrapped = (
        '<Envelope><AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02">'
        "<BizMsgIdr>B1</BizMsgIdr></AppHdr>" + inner + "</Envelope>"
    ).encode()
    assert parse_message(wrapped, "env.xml").message_id == "MSG-008-1"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (pacs008()[:-200], "malformed XML"),
        (b"<Document xmlns='urn:x'><Foo/></Document>", "not a pacs.008"),
        (pacs008(ns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"), "does not belong"),
        (pacs008().replace(b"<MsgId>MSG-008-1</MsgId>", b""), "no MsgId"),
        (b"", "empty"),
        (b"hello world", "neither ISO 20022"),
    ],
    ids=["truncated", "other-xml", "wrong-namespace", "no-msgid", "empty", "not-a-message"],
)
def test_bad_xml_messages_get_a_clear_error_naming_the_file(data, needle):
    with pytest.raises(MessageError) as err:
        parse_message(data, "bad.xml")
    assert "bad.xml" in str(err.value) and needle in str(err.value)


def test_xml_entities_are_refused():
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]>'
        b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08'/>"
    )
    with pytest.raises(MessageError, match="entities"):
        parse_message(evil, "evil.xml")


# -- SWIFT MT -----------------------------------------------------------------------------


def test_mt103_blocks_and_fields():
    msg = parse_message(mt103(), "d.mt103")
    assert (msg.type, msg.message_id) == ("MT103", "REF103A")
    roles = {p.role: p for p in msg.parties}
    assert roles["sender"].bic == "DEUTDEFFXXX" and roles["sender"].path == "{1:}"
    assert roles["receiver"].bic == "BNPAFRPPXXX"
    oc = roles["ordering_customer"]
    assert oc.name == "GRETA LINDQVIST" and oc.account == "DE89370400440532013000"
    assert oc.address_lines == ("HAUPTSTRASSE 5", "10115 BERLIN") and oc.path == ":50K:"
    assert roles["beneficiary_customer"].account == "FR1420041010050500013M02606"
    assert roles["ordering_institution"].bic == "DEUTDEFF"
    assert roles["account_with_institution"].bic == "BNPAFRPP"
    assert [(t.path, t.text) for t in msg.texts] == [(":70:", "INVOICE 2025-118")]
    assert ("EUR", "1250.00") in {(c, a) for _, c, a in msg.amounts}


def test_mt103_option_f_structured_party():
    ordering = (
        ":50F:/DE89370400440532013000\n1/LINDQVIST, GRETA\n2/HAUPTSTRASSE 5\n3/DE/BERLIN\n"
        "4/19710402"
    )
    beneficiary = (
        ":59F:/UA213223130000026007233566001\n1/OLENA KOVAL\n2/VUL. PUSHKINA 3\n3/UA/SIMFEROPOL"
    )
    msg = parse_message(mt103(ordering=ordering, beneficiary=beneficiary), "f.mt103")
    roles = {p.role: p for p in msg.parties}
    oc = roles["ordering_customer"]
    assert (oc.name, oc.country, oc.town, oc.birth_date) == (
        "LINDQVIST, GRETA",
        "DE",
        "BERLIN",
        "1971-04-02",
    )
    assert oc.schema == "Person"
    bc = roles["beneficiary_customer"]
    assert (bc.country, bc.town, bc.path) == ("UA", "SIMFEROPOL", ":59F:")


def test_mt202_and_cover():
    msg = parse_message(mt202(), "e.mt202")
    assert (msg.type, msg.message_id) == ("MT202", "REF202A")
    roles = {p.role: p for p in msg.parties}
    assert roles["beneficiary_institution"].bic == "BNPAFRPP"
    assert roles["intermediary_institution"].bic == "CHASUS33"
    assert msg.texts[0].path == ":72:"
    cov = parse_message(
        mt202(
            cover=True, underlying=":50K:/123\nNORDLICHT HANDEL GMBH\n:59:/456\nPACIFIC RIM IMPORTS"
        ),
        "cov.mt202",
    )
    assert cov.type == "MT202COV"
    names = {p.role: p.name for p in cov.parties}
    assert names["ordering_customer"] == "NORDLICHT HANDEL GMBH"


def test_mt_option_d_name_and_address_and_repeated_fields():
    extra = ":56D:/CH1234\nBANK OF EXAMPLE\nEXAMPLE STREET 1\nZURICH"
    msg = parse_message(mt103(extra=extra), "g.mt103")
    inter = next(p for p in msg.parties if p.role == "intermediary_institution")
    assert (inter.name, inter.account, inter.address_lines) == (
        "BANK OF EXAMPLE",
        "CH1234",
        ("EXAMPLE STREET 1", "ZURICH"),
    )


def test_several_mt_messages_in_one_file_and_one_bad():
    good1, good2 = mt103("ONE"), mt202("TWO")
    bad = mt103("THREE").replace(b"\r\n-}", b"")  # truncated: no end of text block
    results = read_messages(good1 + b"\r\n" + bad + b"\r\n" + good2, "batch.fin")
    assert [getattr(r, "message_id", None) for r in results] == ["ONE", None, "TWO"]
    assert isinstance(results[1], MessageError)
    assert "batch.fin message 2" in str(results[1]) and "truncated" in str(results[1])


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (mt103().replace(b"\r\n-}", b""), "truncated"),
        (mt103().replace(b"I103", b"I199"), "MT199"),
        (mt103().replace(b":20:REF103A\r\n", b""), ":20:"),
        (mt103().replace(b":57A:BNPAFRPP", b":57A:/123"), "needs a BIC"),
        (mt103().replace(b":32A:251125EUR1250,00", b":32A:yesterday"), "currency amount"),
        (mt202().replace(b":58A:BNPAFRPP\r\n", b""), "beneficiary institution"),
    ],
    ids=["truncated", "other-type", "no-20", "bad-option-a", "bad-amount", "mt202-no-58"],
)
def test_bad_mt_messages_get_a_clear_error(data, needle):
    with pytest.raises(MessageError) as err:
        parse_message(data, "bad.mt")
    assert "bad.mt" in str(err.value) and needle in str(err.value)


def test_block4_only_text_is_read():
    text = b":20:LOOSE1\r\n:32A:251125EUR10,00\r\n:50K:JOHN DOE\r\n:59:JANE ROE\r\n-}"
    msg = parse_message(text, "loose.txt")
    assert (msg.type, msg.message_id) == ("MT103", "LOOSE1")
