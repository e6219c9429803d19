"""Real media for tests, samples and benchmarks, made offline: small MP4/MOV from the ffmpeg
binary shipped in imageio-ffmpeg, stills from Pillow, WAV from the standard library, and
C2PA manifests signed by c2pa-python with a locally generated CA -> leaf chain.

Facts this relies on (verified with c2pa-python 0.38): the leaf must be issued by a CA (a
self-signed leaf is rejected), carry AuthorityKeyIdentifier and the emailProtection extended
key usage; the certificate file is leaf PEM + CA PEM; with the CA as trust anchor a manifest
is Trusted, without it Valid.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


@dataclass(frozen=True)
class SigningKit:
    """A CA and a leaf certificate for signing C2PA manifests."""

    ca_pem: bytes
    chain_pem: bytes
    key_pem: bytes

    def write_anchor(self, path: Path) -> Path:
        path.write_bytes(self.ca_pem)
        return path


def signing_kit(organisation: str = "aigate test studio", *,
                expired: bool = False) -> SigningKit:
    """A CA and a leaf; ``expired``: a leaf whose validity ended yesterday (the CA valid)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])

    def usage(**on: bool) -> x509.KeyUsage:
        flags = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment",
                               "data_encipherment", "key_agreement", "key_cert_sign",
                               "crl_sign", "encipher_only", "decipher_only"), False)
        return x509.KeyUsage(**{**flags, **on})

    ca_key = ed25519.Ed25519PrivateKey.generate()
    ca = (x509.CertificateBuilder().subject_name(name("test CA")).issuer_name(name("test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(usage(digital_signature=True, key_cert_sign=True, crl_sign=True),
                         critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, None))
    key = ed25519.Ed25519PrivateKey.generate()
    leaf = (x509.CertificateBuilder().subject_name(name("generator")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=30 if expired else 1))
            .not_valid_after(now + dt.timedelta(days=-1 if expired else 3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(ca_key, None))
    pem = serialization.Encoding.PEM
    return SigningKit(
        ca_pem=ca.public_bytes(pem),
        chain_pem=leaf.public_bytes(pem) + ca.public_bytes(pem),
        key_pem=key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def video(path: Path, seconds: float = 1, size: str = "128x72",
          timecode: str | None = None, small: bool = False) -> Path:
    """A small test-pattern movie (.mp4 or .mov, by suffix); ``timecode``: its start
    timecode (``14:02:10:00``, a camera's clock); ``small``: coarser, for long ones."""
    import imageio_ffmpeg

    path.parent.mkdir(parents=True, exist_ok=True)
    extra = (["-timecode", timecode] if timecode else []) + (["-crf", "40"] if small else [])
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi",
                    "-i", f"testsrc=size={size}:rate=24", "-t", str(seconds), "-pix_fmt",
                    "yuv420p", *extra, str(path)], check=True)
    return path


def still(path: Path, colour: tuple[int, int, int] = (40, 90, 160),
          size: tuple[int, int] = (64, 36)) -> Path:
    """A small JPEG or PNG (by suffix)."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def sound(path: Path, seconds: float = 0.5, rate: int = 8000) -> Path:
    """A short silent WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return path


def sign(source: Path, target: Path, kit: SigningKit, *, source_type: str = TRAINED,
         tool: str = "GenTool", version: str = "3.1", remote_url: str | None = None,
         ta_url: str | None = None) -> Path:
    """Embed a signed C2PA manifest whose created action declares ``source_type``.

    With ``remote_url`` the manifest is not embedded: the file only names that URL (a
    remote-only manifest, as a cloud service writes it)."""
    manifest = {
        "claim_generator_info": [{"name": tool, "version": version}],
        "title": target.name,
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [{
            "action": "c2pa.created", "digitalSourceType": source_type,
            "softwareAgent": {"name": tool, "version": version}}]}}],
    }
    return sign_manifest(source, target, kit, manifest, remote_url=remote_url, ta_url=ta_url)


def sign_manifest(source: Path, target: Path, kit: SigningKit, manifest: dict, *,
                  parent: Path | None = None, remote_url: str | None = None,
                  ta_url: str | None = None) -> Path:
    """Sign ``manifest`` into a copy of ``source``. ``parent`` (a signed file) becomes its
    parentOf ingredient, labelled ``parent`` for actions' ``ingredientIds``."""
    import c2pa

    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"ed25519", kit.chain_pem, kit.key_pem,
                                                       ta_url.encode() if ta_url else None))
    target.parent.mkdir(parents=True, exist_ok=True)
    kind = source.suffix.lstrip(".").lower()
    with c2pa.Builder(manifest) as builder:
        if parent is not None:
            with parent.open("rb") as handle:
                builder.add_ingredient({"title": parent.name, "relationship": "parentOf",
                                        "label": "parent"},
                                       parent.suffix.lstrip(".").lower(), handle)
        if remote_url:
            builder.set_no_embed()
            builder.set_remote_url(remote_url)
        with source.open("rb") as src, target.open("wb") as dst:
            builder.sign(signer, kind, src, dst)
    return target


def tamper(source: Path, target: Path) -> Path:
    """A copy with one byte flipped in the middle (the media no longer matches its hash)."""
    data = bytearray(source.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    return target


def xmp_packet(source_type: str, form: str = "attribute", creator: str | None = None) -> str:
    """An XMP packet declaring ``source_type`` as an attribute, element text or rdf:resource."""
    ns = ('xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
          'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
          'xmlns:xmp="http://ns.adobe.com/xap/1.0/"')
    tool = f' xmp:CreatorTool="{creator}"' if creator else ""
    if form == "attribute":
        body = f'<rdf:Description {ns}{tool} Iptc4xmpExt:DigitalSourceType="{source_type}"/>'
    elif form == "text":
        body = (f"<rdf:Description {ns}{tool}><Iptc4xmpExt:DigitalSourceType>{source_type}"
                "</Iptc4xmpExt:DigitalSourceType></rdf:Description>")
    else:
        body = (f'<rdf:Description {ns}{tool}><Iptc4xmpExt:DigitalSourceType '
                f'rdf:resource="{source_type}"/></rdf:Description>')
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            f'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{body}</rdf:RDF>'
            "</x:xmpmeta>")


# Damage done to a signed file, as a careless transfer or an attacker would do it.

def appended(source: Path, target: Path, extra: bytes = b"\x00trailing data" * 64) -> Path:
    """A copy with bytes appended after the end of the file."""
    target.write_bytes(source.read_bytes() + extra)
    return target


def cut_tail(source: Path, target: Path, size: int = 256) -> Path:
    """A copy with its last ``size`` bytes cut off (an interrupted transfer)."""
    target.write_bytes(source.read_bytes()[:-size])
    return target


def flipped_in_manifest(source: Path, target: Path, offset: int = 300) -> Path:
    """A copy with one byte flipped ``offset`` bytes into the C2PA manifest store."""
    data = bytearray(source.read_bytes())
    data[data.index(b"jumb") + offset] ^= 0xFF
    target.write_bytes(bytes(data))
    return target


def without_signature(source: Path, target: Path) -> Path:
    """A copy whose claim signature is removed: the COSE bytes in the signature box (JUMBF
    description type ``c2cs``) are zeroed, the boxes around them left in place."""
    data = source.read_bytes()
    box = data.index(b"cbor", data.index(b"jumdc2cs"))
    size = int.from_bytes(data[box - 4:box], "big")
    start, end = box + 4, box - 4 + size
    target.write_bytes(data[:start] + bytes(end - start) + data[end:])
    return target


def empty_c2pa_chunk(source: Path, target: Path) -> Path:
    """A PNG holding an empty ``caBX`` chunk (C2PA's): it looks signed and holds nothing."""
    import zlib

    data = source.read_bytes()
    assert data[12:16] == b"IHDR"
    chunk = b"\x00\x00\x00\x00caBX" + zlib.crc32(b"caBX").to_bytes(4, "big")
    end_of_ihdr = 8 + 12 + int.from_bytes(data[8:12], "big")
    target.write_bytes(data[:end_of_ihdr] + chunk + data[end_of_ihdr:])
    return target
