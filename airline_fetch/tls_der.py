"""Small DER walks over X.509 certificates, so no cryptography package is needed: the "CA
Issuers" URLs of a certificate's Authority Information Access extension (RFC 5280 section
4.2.2.1), whether it is self-issued, and the certificates a CA Issuers URL answers with (RFC
5280 4.2.2.1: one DER certificate, or a "certs-only" CMS message, RFC 2797 section 2.2; PEM too,
as some servers send it).

    Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
    TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
        validity, subject, subjectPublicKeyInfo, [1] issuerUniqueID OPTIONAL,
        [2] subjectUniqueID OPTIONAL, [3] EXPLICIT extensions OPTIONAL }
    Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    AuthorityInfoAccessSyntax ::= SEQUENCE OF AccessDescription
    AccessDescription ::= SEQUENCE { accessMethod OID, accessLocation GeneralName }
    GeneralName: uniformResourceIdentifier [6] IMPLICIT IA5String
    ContentInfo ::= SEQUENCE { contentType OID, [0] EXPLICIT content }      (RFC 5652)
    SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo SEQUENCE,
        [0] IMPLICIT certificates OPTIONAL, [1] IMPLICIT crls OPTIONAL, signerInfos SET }
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

SEQUENCE = 0x30
OID = 0x06
OCTET_STRING = 0x04
VERSION_TAG = 0xA0  # [0] EXPLICIT, constructed
EXTENSIONS_TAG = 0xA3  # [3] EXPLICIT, constructed
URI_TAG = 0x86  # [6] IMPLICIT IA5String, primitive

CONTEXT_0 = 0xA0  # [0], constructed: SignedData in ContentInfo, certificates in SignedData

# 1.2.840.113549.1.7.2 id-signedData, DER-encoded.
SIGNED_DATA_OID = bytes.fromhex("2a864886f70d010702")
# 1.3.6.1.5.5.7.1.1 id-pe-authorityInfoAccess and 1.3.6.1.5.5.7.48.2 id-ad-caIssuers, DER-encoded.
AUTHORITY_INFO_ACCESS_OID = bytes.fromhex("2b06010505070101")
CA_ISSUERS_OID = bytes.fromhex("2b06010505073002")


class DerError(ValueError):
    """The bytes are not the DER certificate structure this module reads."""


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes
    encoded: bytes  # tag, length and value: the element as it stands in its container


def read_tlvs(data: bytes) -> list[Tlv]:
    """Splits a run of DER elements into (tag, value) pairs; raises DerError if malformed."""
    elements: list[Tlv] = []
    position = 0
    while position < len(data):
        start = position
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
        elements.append(
            Tlv(tag, data[position : position + length], data[start : position + length])
        )
        position += length
    return elements


def _only(data: bytes, tag: int, what: str) -> Tlv:
    elements = read_tlvs(data)
    if len(elements) != 1 or elements[0].tag != tag:
        raise DerError(f"expected one {what}")
    return elements[0]


def _tbs_fields(certificate_der: bytes) -> list[Tlv]:
    certificate = _only(certificate_der, SEQUENCE, "certificate SEQUENCE")
    parts = read_tlvs(certificate.value)
    if not parts or parts[0].tag != SEQUENCE:
        raise DerError("the certificate has no tbsCertificate")
    return read_tlvs(parts[0].value)


def is_self_issued(certificate_der: bytes) -> bool:
    """Whether issuer and subject are the same name, byte for byte (a root, as a rule)."""
    fields = _tbs_fields(certificate_der)
    if fields and fields[0].tag == VERSION_TAG:
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject
    if len(fields) < 5 or fields[2].tag != SEQUENCE or fields[4].tag != SEQUENCE:
        raise DerError("the certificate has no issuer and subject names")
    return fields[2].value == fields[4].value


def _extensions(certificate_der: bytes) -> list[Tlv]:
    for field in _tbs_fields(certificate_der):
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


_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----"
)


def certificates_in(body: bytes) -> list[bytes]:
    """The DER certificates in what a CA Issuers URL answered: one DER certificate, a DER
    certs-only CMS (PKCS #7) message, or PEM certificates. DerError if it is none of them."""
    if b"-----BEGIN CERTIFICATE-----" in body:
        found = [base64.b64decode(b"".join(m.split())) for m in _PEM_CERTIFICATE.findall(body)]
    else:
        certificates = _certs_only_message(body)
        found = [body] if certificates is None else certificates
    for certificate in found:
        _tbs_fields(certificate)  # each must read as a certificate
    if not found:
        raise DerError("no certificate in it")
    return found


def _certs_only_message(body: bytes) -> list[bytes] | None:
    """The certificates of a CMS SignedData, or None when body is not a ContentInfo."""
    elements = read_tlvs(body)
    if len(elements) != 1 or elements[0].tag != SEQUENCE:
        raise DerError("not a DER certificate or CMS message")
    content_info = read_tlvs(elements[0].value)
    if not content_info or content_info[0].tag != OID:
        return None  # a certificate starts with its tbsCertificate SEQUENCE, not an OID
    if content_info[0].value != SIGNED_DATA_OID or len(content_info) != 2:
        raise DerError("a CMS message, but not signed data")
    signed_data = _only(content_info[1].value, SEQUENCE, "SignedData SEQUENCE")
    for field in read_tlvs(signed_data.value)[3:]:
        if field.tag == CONTEXT_0:
            return [certificate.encoded for certificate in read_tlvs(field.value)]
    return []
