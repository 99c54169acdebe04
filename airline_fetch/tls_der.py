"""Reads the "CA Issuers" URLs out of an X.509 certificate's Authority Information Access
extension (RFC 5280 section 4.2.2.1) with a small DER walk, so no cryptography package is needed.

    Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
    TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
        validity, subject, subjectPublicKeyInfo, [1] issuerUniqueID OPTIONAL,
        [2] subjectUniqueID OPTIONAL, [3] EXPLICIT extensions OPTIONAL }
    Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    AuthorityInfoAccessSyntax ::= SEQUENCE OF AccessDescription
    AccessDescription ::= SEQUENCE { accessMethod OID, accessLocation GeneralName }
    GeneralName: uniformResourceIdentifier [6] IMPLICIT IA5String
"""

from __future__ import annotations

from dataclasses import dataclass

SEQUENCE = 0x30
OID = 0x06
OCTET_STRING = 0x04
EXTENSIONS_TAG = 0xA3  # [3] EXPLICIT, constructed
URI_TAG = 0x86  # [6] IMPLICIT IA5String, primitive

# 1.3.6.1.5.5.7.1.1 id-pe-authorityInfoAccess and 1.3.6.1.5.5.7.48.2 id-ad-caIssuers, DER-encoded.
AUTHORITY_INFO_ACCESS_OID = bytes.fromhex("2b06010505070101")
CA_ISSUERS_OID = bytes.fromhex("2b06010505073002")


class DerError(ValueError):
    """The bytes are not the DER certificate structure this module reads."""


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes


def read_tlvs(data: bytes) -> list[Tlv]:
    """Splits a run of DER elements into (tag, value) pairs; raises DerError if malformed."""
    elements: list[Tlv] = []
    position = 0
    while position < len(data):
        if position + 2 > len(data):
            raise DerError("a DER element is cut short")
        tag = data[position]
        if tag & 0x1F == 0x1F:
            raise DerError("multi-byte DER tags are not used in certificates")
        first_length_byte = data[position + 1]
        position += 2
        if first_length_byte < 0x80:
            length = first_length_byte
        else:
            length_bytes = first_length_byte & 0x7F
            if length_bytes == 0 or length_bytes > 4 or position + length_bytes > len(data):
                raise DerError("a DER length is malformed")
            length = int.from_bytes(data[position : position + length_bytes], "big")
            position += length_bytes
        if position + length > len(data):
            raise DerError("a DER element is longer than its container")
        elements.append(Tlv(tag, data[position : position + length]))
        position += length
    return elements


def _only(data: bytes, tag: int, what: str) -> Tlv:
    elements = read_tlvs(data)
    if len(elements) != 1 or elements[0].tag != tag:
        raise DerError(f"expected one {what}")
    return elements[0]


def _extensions(certificate_der: bytes) -> list[Tlv]:
    certificate = _only(certificate_der, SEQUENCE, "certificate SEQUENCE")
    parts = read_tlvs(certificate.value)
    if not parts or parts[0].tag != SEQUENCE:
        raise DerError("the certificate has no tbsCertificate")
    for field in read_tlvs(parts[0].value):
        if field.tag == EXTENSIONS_TAG:
            return read_tlvs(_only(field.value, SEQUENCE, "extensions SEQUENCE").value)
    return []


def ca_issuers_urls(certificate_der: bytes) -> list[str]:
    """The caIssuers URIs of the certificate's AIA extension, in order; [] when it has none."""
    urls: list[str] = []
    for extension in _extensions(certificate_der):
        if extension.tag != SEQUENCE:
            raise DerError("an extension is not a SEQUENCE")
        fields = read_tlvs(extension.value)
        if not fields or fields[0].tag != OID or fields[0].value != AUTHORITY_INFO_ACCESS_OID:
            continue
        value = next((f for f in fields[1:] if f.tag == OCTET_STRING), None)
        if value is None:
            raise DerError("the AIA extension has no value")
        access_descriptions = _only(value.value, SEQUENCE, "AIA SEQUENCE").value
        for description in read_tlvs(access_descriptions):
            method_and_location = read_tlvs(description.value)
            if len(method_and_location) != 2:
                raise DerError("an AIA access description is not (method, location)")
            method, location = method_and_location
            if method.tag == OID and method.value == CA_ISSUERS_OID and location.tag == URI_TAG:
                urls.append(location.value.decode("ascii"))
    return urls
