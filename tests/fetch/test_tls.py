"""airline_fetch's TLS against real HTTPS servers on 127.0.0.1 with a test PKI made here (a root,
an intermediate, leaves for 127.0.0.1/localhost; the `cryptography` package, tests only): the
chain completed through AIA as browsers do, and verification that never turns off."""

from __future__ import annotations

import datetime
import hashlib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from airline_fetch.http import (
    FetchError,
    HttpSettings,
    HttpStatusError,
    NetworkError,
    TlsError,
    download,
    head,
)
from airline_fetch.tls import verifying_context
from airline_fetch.tls_der import DerError, ca_issuers_urls, certificates_in, is_self_issued

if TYPE_CHECKING:
    from conftest import Faults, LocalProxy, LocalServer

    StartHttps = Callable[[Path, Path], LocalServer]

FILE_PATH = "/PREZIP/On_Time_2024_1.zip"
BODY = hashlib.shake_256(b"month").digest(200_000)
NOW = datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "airline-elt test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _aia(ca_issuers_url: str) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier("http://127.0.0.1:9/ocsp"),
            ),
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(ca_issuers_url),
            ),
        ]
    )


def issue(
    common_name: str,
    issuer: Issued | None,
    *,
    ca: bool,
    aia: str | None = None,
    hosts: tuple[str, ...] = (),
    not_after: datetime.datetime | None = None,
    issuer_common_name: str | None = None,
) -> Issued:
    """A certificate for common_name, signed by issuer (self-signed when None; its issuer name
    then is issuer_common_name, the subject's by default)."""
    key = ec.generate_private_key(ec.SECP256R1())
    signer_key = issuer.key if issuer else key
    if issuer is not None:
        issuer_name = issuer.certificate.subject
    else:
        issuer_name = _name(issuer_common_name or common_name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=2))
        .not_valid_after(not_after or NOW + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), False
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False
        )
    if hosts:
        names: list[x509.GeneralName] = []
        for host in hosts:
            if host[0].isdigit():
                names.append(x509.IPAddress(IPv4Address(host)))
            else:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), False)
    if aia:
        builder = builder.add_extension(_aia(aia), False)
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


@dataclass(frozen=True)
class Pki:
    root: Issued
    intermediate: Issued
    root_pem: Path

    def leaf(
        self,
        aia: str | None,
        hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
        **options: object,
    ) -> Issued:
        return issue("server", self.intermediate, ca=False, aia=aia, hosts=hosts, **options)  # type: ignore[arg-type]


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    root = issue("Test Root CA", None, ca=True)
    intermediate = issue("Test Intermediate CA", root, ca=True)
    root_pem = tmp_path / "root.pem"
    root_pem.write_bytes(root.pem())
    return Pki(root, intermediate, root_pem)


def write_chain(folder: Path, name: str, leaf: Issued, *chain: Issued) -> tuple[Path, Path]:
    """The PEM files an HTTPS server loads: leaf then chain, and the leaf's key."""
    chain_pem = folder / f"{name}-chain.pem"
    chain_pem.write_bytes(b"".join(c.pem() for c in (leaf, *chain)))
    key_pem = folder / f"{name}-key.pem"
    key_pem.write_bytes(
        leaf.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain_pem, key_pem


def https_with(start: StartHttps, tmp_path: Path, leaf: Issued, *chain: Issued) -> LocalServer:
    server = start(*write_chain(tmp_path, "server", leaf, *chain))
    server.serve(FILE_PATH, BODY, etag='"v1"')
    return server


def settings(ca_bundle: Path | None, **options: object) -> HttpSettings:
    defaults: dict[str, object] = {
        "connect_timeout": 5.0,
        "read_timeout": 5.0,
        "attempts": 2,
        "backoff_seconds": 0.01,
        "ca_bundle": ca_bundle,
    }
    return HttpSettings(**{**defaults, **options})  # type: ignore[arg-type]


def assert_downloaded(server: LocalServer, tmp_path: Path, ca_bundle: Path | None) -> None:
    dest = tmp_path / "month.zip.part"
    result = download(server.url(FILE_PATH), dest, settings(ca_bundle))
    assert result.sha256 == hashlib.sha256(BODY).hexdigest()
    assert dest.read_bytes() == BODY


def refused(server: LocalServer, tmp_path: Path, ca_bundle: Path | None) -> str:
    """Downloads from server, which must fail with a TlsError: no retry (a large backoff would
    show), no request ever sent over TLS, nothing left on disk. Returns the message."""
    dest = tmp_path / "refused.part"
    url = server.url(FILE_PATH)
    started = time.monotonic()
    with pytest.raises(TlsError) as raised:
        download(url, dest, settings(ca_bundle, attempts=3, backoff_seconds=20.0))
    assert time.monotonic() - started < 8  # a retry would have waited 10 s at least
    assert server.requests == []
    assert not dest.exists()
    message = str(raised.value)
    assert message.startswith(f"Could not download {url}: The TLS certificate of 127.0.0.1:")
    assert "--ca-bundle FILE" in message
    assert "\n" not in message
    return message


def test_a_server_sending_the_full_chain_is_verified(
    pki: Pki, https_server_factory: StartHttps, http_server: LocalServer, tmp_path: Path
) -> None:
    leaf = pki.leaf(aia=http_server.url("/ca/intermediate.crt"))
    server = https_with(https_server_factory, tmp_path, leaf, pki.intermediate)
    assert_downloaded(server, tmp_path, pki.root_pem)
    assert http_server.requests == []  # nothing was missing, nothing fetched


def test_a_missing_intermediate_is_fetched_once_from_the_leafs_aia_url(
    pki: Pki, https_server_factory: StartHttps, http_server: LocalServer, tmp_path: Path
) -> None:
    aia_url = http_server.serve("/ca/intermediate.crt", pki.intermediate.der(), content_type="")
    server = https_with(https_server_factory, tmp_path, pki.leaf(aia=aia_url))

    assert_downloaded(server, tmp_path, pki.root_pem)
    assert head(server.url(FILE_PATH), settings(pki.root_pem)) is not None
    assert_downloaded(server, tmp_path, pki.root_pem)

    assert [r.path for r in http_server.requests] == ["/ca/intermediate.crt"]
    # the unverified handshake that read the leaf sent no request: only the real ones arrived
    assert [r.method for r in server.requests] == ["GET", "HEAD", "GET"]


@pytest.mark.parametrize("form", ["PEM", "PKCS #7 with the root"])
def test_an_intermediate_served_as_pem_or_pkcs7_is_used_too(
    pki: Pki,
    https_server_factory: StartHttps,
    http_server: LocalServer,
    tmp_path: Path,
    form: str,
) -> None:
    """RFC 5280 4.2.2.1 allows a certs-only CMS message; the root in it is left out (a fetched
    root would be a trust anchor), the one in --ca-bundle completes the chain."""
    if form == "PEM":
        served = pki.intermediate.pem()
    else:
        served = pkcs7.serialize_certificates(
            [pki.intermediate.certificate, pki.root.certificate], serialization.Encoding.DER
        )
    aia_url = http_server.serve("/ca/intermediate", served)
    server = https_with(https_server_factory, tmp_path, pki.leaf(aia=aia_url))
    assert_downloaded(server, tmp_path, pki.root_pem)


@pytest.mark.parametrize("forger", ["an unknown CA", "itself"])
def test_a_forged_intermediate_with_the_same_name_but_another_key_is_refused(
    pki: Pki,
    https_server_factory: StartHttps,
    http_server: LocalServer,
    tmp_path: Path,
    forger: str,
) -> None:
    unknown_root = issue("Test Root CA", None, ca=True)  # the real root's name, another key
    signer = unknown_root if forger == "an unknown CA" else None
    forged = issue("Test Intermediate CA", signer, ca=True)
    aia_url = http_server.serve("/ca/intermediate.crt", forged.der())
    server = https_with(https_server_factory, tmp_path, pki.leaf(aia=aia_url))
    message = refused(server, tmp_path, pki.root_pem)
    assert "could not be verified" in message
    assert len(http_server.requests) == 1


@pytest.mark.parametrize(
    ("issuer_name", "said"),
    [
        ("Attacker CA", "is a root (self-issued)"),
        # differs from the subject byte for byte, but OpenSSL compares names case-insensitively
        # and would take it as self-signed: the check of the verified chain's anchor catches it
        ("ATTACKER CA", "its chain ends at a certificate fetched from its own CA Issuers URL"),
    ],
)
def test_a_server_whose_aia_serves_its_own_root_is_refused(
    pki: Pki,
    https_server_factory: StartHttps,
    http_server: LocalServer,
    tmp_path: Path,
    issuer_name: str,
    said: str,
) -> None:
    """An attacker's leaf whose AIA URL serves the attacker's self-signed CA: added to the
    verify store it would be a trust anchor, so a fetched certificate never may be one."""
    attacker = issue("Attacker CA", None, ca=True, issuer_common_name=issuer_name)
    aia_url = http_server.serve("/ca/intermediate.crt", attacker.der())
    leaf = issue("server", attacker, ca=False, aia=aia_url, hosts=("127.0.0.1",))
    server = https_with(https_server_factory, tmp_path, leaf)
    message = refused(server, tmp_path, pki.root_pem)
    assert said in message


def test_a_leaf_without_aia_names_the_problem_and_what_to_do(
    pki: Pki, https_server_factory: StartHttps, tmp_path: Path
) -> None:
    server = https_with(https_server_factory, tmp_path, pki.leaf(aia=None))
    message = refused(server, tmp_path, pki.root_pem)
    assert message == (
        f"Could not download {server.url(FILE_PATH)}: The TLS certificate of "
        f"127.0.0.1:{server.port} could not be verified: unable to get local issuer certificate "
        "and its certificate names no CA Issuers URL to fetch from. Nothing was downloaded. If "
        "you reach the site through a private mirror or a proxy with its own certificate "
        "authority, pass that CA's certificate with --ca-bundle FILE (PEM)"
    )


def test_a_certificate_for_another_host_is_refused(
    pki: Pki, https_server_factory: StartHttps, tmp_path: Path
) -> None:
    leaf = pki.leaf(aia=None, hosts=("transtats.bts.gov",))
    server = https_with(https_server_factory, tmp_path, leaf, pki.intermediate)
    message = refused(server, tmp_path, pki.root_pem)
    assert "IP address mismatch, certificate is not valid for '127.0.0.1'" in message


def test_an_expired_certificate_is_refused(
    pki: Pki, https_server_factory: StartHttps, tmp_path: Path
) -> None:
    leaf = pki.leaf(aia=None, not_after=NOW - datetime.timedelta(days=1))
    server = https_with(https_server_factory, tmp_path, leaf, pki.intermediate)
    assert "certificate has expired" in refused(server, tmp_path, pki.root_pem)


def test_an_untrusted_root_is_refused_even_with_the_whole_chain_and_aia(
    pki: Pki, https_server_factory: StartHttps, http_server: LocalServer, tmp_path: Path
) -> None:
    """Without ca_bundle the test root is trusted by nobody: verification stays on."""
    aia_url = http_server.serve("/ca/intermediate.crt", pki.intermediate.der())
    leaf = pki.leaf(aia=aia_url)
    server = https_with(https_server_factory, tmp_path, leaf, pki.intermediate, pki.root)
    assert "self-signed certificate in certificate chain" in refused(server, tmp_path, None)

    leaf_only = https_with(https_server_factory, tmp_path, pki.leaf(aia=aia_url))
    message = refused(leaf_only, tmp_path, None)
    assert "unable to get issuer certificate even with the intermediate from" in message


def test_a_trusted_intermediate_is_not_a_trust_anchor_by_itself(
    pki: Pki, https_server_factory: StartHttps, tmp_path: Path
) -> None:
    """VERIFY_X509_PARTIAL_CHAIN is off: trusting the intermediate alone does not do."""
    intermediate_pem = tmp_path / "intermediate.pem"
    intermediate_pem.write_bytes(pki.intermediate.pem())
    server = https_with(https_server_factory, tmp_path, pki.leaf(aia=None))
    assert "unable to get issuer certificate" in refused(server, tmp_path, intermediate_pem)
    assert not verifying_context(None, []).verify_flags & ssl.VERIFY_X509_PARTIAL_CHAIN


def test_an_unreachable_aia_url_is_named(
    pki: Pki, https_server_factory: StartHttps, closed_port: int, tmp_path: Path
) -> None:
    aia_url = f"http://127.0.0.1:{closed_port}/ca/intermediate.crt"
    server = https_with(https_server_factory, tmp_path, pki.leaf(aia=aia_url))
    message = refused(server, tmp_path, pki.root_pem)
    assert f"the missing intermediate could not be fetched ({aia_url}: " in message


def test_a_bad_ca_bundle_says_what_the_option_takes(
    pki: Pki, https_server_factory: StartHttps, tmp_path: Path
) -> None:
    server = https_with(https_server_factory, tmp_path, pki.leaf(aia=None), pki.intermediate)
    not_pem = tmp_path / "bundle.txt"
    not_pem.write_text("not a certificate\n")
    for bundle in (not_pem, tmp_path / "missing.pem"):
        with pytest.raises(TlsError) as raised:
            download(server.url(FILE_PATH), tmp_path / "f", settings(bundle))
        assert f"The CA bundle {bundle} could not be used" in str(raised.value)
        assert "--ca-bundle takes a PEM file of CA certificates" in str(raised.value)


def test_certifi_roots_are_trusted_by_default() -> None:
    assert verifying_context(None, []).cert_store_stats()["x509_ca"] > 50


def test_a_redirect_from_https_to_plain_http_is_refused(
    pki: Pki,
    https_server_factory: StartHttps,
    http_server: LocalServer,
    faults: type[Faults],
    tmp_path: Path,
) -> None:
    server = https_with(https_server_factory, tmp_path, pki.leaf(aia=None), pki.intermediate)
    plain = http_server.serve(FILE_PATH, BODY)
    server.fail(FILE_PATH, faults.Status(301, (("Location", plain),)))
    with pytest.raises(FetchError, match="plain http after https; refused"):
        download(server.url(FILE_PATH), tmp_path / "f", settings(pki.root_pem))
    assert http_server.requests == []


def test_ca_issuers_urls_are_read_from_the_aia_extension(pki: Pki) -> None:
    leaf = pki.leaf(aia="http://ca.example/int.crt")
    assert ca_issuers_urls(leaf.der()) == ["http://ca.example/int.crt"]
    assert ca_issuers_urls(pki.root.der()) == []
    with pytest.raises(DerError):
        ca_issuers_urls(leaf.der()[:-10])
    with pytest.raises(DerError):
        ca_issuers_urls(b"\x02\x01\x00")


def test_certificates_are_read_from_der_pem_and_pkcs7(pki: Pki) -> None:
    both = [pki.intermediate.der(), pki.root.der()]
    assert certificates_in(pki.intermediate.der()) == [pki.intermediate.der()]
    assert certificates_in(pki.intermediate.pem() + pki.root.pem()) == both
    p7 = pkcs7.serialize_certificates(
        [pki.intermediate.certificate, pki.root.certificate], serialization.Encoding.DER
    )
    assert sorted(certificates_in(p7)) == sorted(both)  # DER sorts a SET OF
    assert [is_self_issued(der) for der in both] == [False, True]
    for not_a_certificate in (b"<html>not found</html>", b"-----BEGIN CERTIFICATE-----\n"):
        with pytest.raises(DerError):
            certificates_in(not_a_certificate)


def test_a_tls_handshake_that_never_comes_is_a_connect_time_out(
    silent_address: tuple[str, int], tmp_path: Path
) -> None:
    host, port = silent_address
    url = f"https://{host}:{port}/x.zip"
    options = {"connect_timeout": 0.3, "attempts": 2}
    with pytest.raises(NetworkError) as raised:
        download(url, tmp_path / "f", settings(None, **options))
    assert str(raised.value).startswith(
        f"Could not download {url}: no connection within 0.3 s, twice over"
    )


def test_https_goes_through_a_proxy_tunnel_and_is_still_verified(
    pki: Pki,
    https_server_factory: StartHttps,
    http_server: LocalServer,
    proxy_server: LocalProxy,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Every TLS connection, the one that reads the leaf for its AIA URL too, is a CONNECT
    tunnel: TLS stays end to end and the site's own certificate is verified."""
    aia_url = http_server.serve("/ca/intermediate.crt", pki.intermediate.der())
    server = https_with(https_server_factory, tmp_path, pki.leaf(aia=aia_url))
    monkeypatch.setenv("https_proxy", proxy_server.url)
    assert_downloaded(server, tmp_path, pki.root_pem)
    tunnels = proxy_server.request_lines()
    assert len(tunnels) == 3  # refused for the missing intermediate, leaf read, verified
    assert set(tunnels) == {f"CONNECT 127.0.0.1:{server.port} HTTP/1.1"}
    assert [r.method for r in server.requests] == ["GET"]

    other_root = issue("Test Root CA", None, ca=True)
    untrusted = tmp_path / "other-root.pem"
    untrusted.write_bytes(other_root.pem())
    proxy_server.seen.clear()
    full_chain = https_with(https_server_factory, tmp_path, pki.leaf(aia=None), pki.intermediate)
    refused(full_chain, tmp_path, untrusted)
    assert len(proxy_server.seen) >= 1


def test_a_proxy_asking_for_credentials_says_where_to_put_them(
    proxy_server: LocalProxy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    proxy_server.refuse_with = 407
    monkeypatch.setenv("HTTPS_PROXY", proxy_server.url)
    url = "https://transtats.bts.gov/x.zip"
    with pytest.raises(HttpStatusError) as raised:
        download(url, tmp_path / "f", settings(None, attempts=3))
    assert raised.value.status == 407
    assert str(raised.value) == (
        f"Could not download {url}: the proxy 127.0.0.1:{proxy_server.port} answered 407 "
        "Refused by the test proxy; give the proxy's user and password in the proxy URL "
        "(https_proxy=http://user:password@host:port)"
    )
    assert len(proxy_server.seen) == 1


def test_a_body_cut_over_tls_is_resumed_like_over_plain_http(
    pki: Pki, https_server_factory: StartHttps, faults: type[Faults], tmp_path: Path
) -> None:
    server = https_with(https_server_factory, tmp_path, pki.leaf(aia=None), pki.intermediate)
    server.fail(FILE_PATH, faults.Cut(50_000), faults.Drop())
    result = download(server.url(FILE_PATH), tmp_path / "f", settings(pki.root_pem, attempts=3))
    assert (result.resumed, result.attempts) == (True, 3)
    assert result.sha256 == hashlib.sha256(BODY).hexdigest()
    assert server.requests[-1].headers["Range"] == "bytes=50000-"
