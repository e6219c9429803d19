"""A local RFC 3161 time-stamp authority for tests: OpenSSL's ``ts -reply`` behind a small
HTTP handler on 127.0.0.1, with a CA and a time-stamping certificate made here; and signing
in the past (libfaketime under a child process), so a certificate that was valid when it
signed has expired by the time the test reads the result."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def _authority(folder: Path) -> Path:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    name = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])  # noqa: E731
    def usage(**on: bool) -> x509.KeyUsage:
        flags = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment",
                               "data_encipherment", "key_agreement", "key_cert_sign",
                               "crl_sign", "encipher_only", "decipher_only"), False)
        return x509.KeyUsage(**{**flags, **on})

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("test TSA CA"))
          .issuer_name(name("test TSA CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=365))
          .not_valid_after(now + dt.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(usage(key_cert_sign=True, crl_sign=True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name("test TSA"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=365))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "tsa.pem").write_bytes(cert.public_bytes(pem))
    (folder / "tsa.key").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / "serial").write_text("01\n")
    config = folder / "tsa.cnf"
    config.write_text(f"""[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {folder}
serial = $dir/serial
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")
    return config


def past(days: int) -> dict[str, str]:
    """The environment that runs a child process ``days`` in the past (libfaketime)."""
    import libfaketime

    library = Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src" / \
        "libfaketime.so.1"
    return {**os.environ, "LD_PRELOAD": str(library), "FAKETIME": f"-{days}d",
            "DONT_FAKE_MONOTONIC": "1", "FAKETIME_NO_CACHE": "1"}


SIGN = """
import sys
from pathlib import Path
import mediakit
folder, source, target = map(Path, sys.argv[1:4])
kit = mediakit.SigningKit(*(folder.joinpath(n).read_bytes()
                            for n in ("ca.pem", "chain.pem", "leaf.key")))
mediakit.sign(source, target, kit, ta_url=sys.argv[4] if len(sys.argv) > 4 else None)
"""


def sign_in_the_past(days: int, kit: Path, source: Path, target: Path,
                     ta_url: str | None = None) -> Path:
    """``mediakit.sign`` run ``days`` ago with the kit in folder ``kit`` (ca.pem,
    chain.pem, leaf.key)."""
    tests = str(Path(__file__).parent)
    env = past(days)
    env["PYTHONPATH"] = os.pathsep.join([tests, env.get("PYTHONPATH", "")])
    subprocess.run([sys.executable, "-c", SIGN, str(kit), str(source), str(target),
                    *([ta_url] if ta_url else [])], env=env, check=True)
    return target


@contextmanager
def authority(days_ago: int = 0, anchor: Path | None = None
              ) -> Iterator[tuple[str, list[int]]]:
    """A running TSA (answering as of ``days_ago``): its URL and a list that counts the
    requests it answered. ``anchor``: where to write its CA certificate (PEM)."""
    with tempfile.TemporaryDirectory(prefix="tsa-") as text:
        folder = Path(text)
        config = _authority(folder)
        if anchor is not None:
            anchor.write_bytes((folder / "ca.pem").read_bytes())
        answered: list[int] = []
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    query, reply = folder / "query.tsq", folder / "reply.tsr"
                    query.write_bytes(body)
                    done = subprocess.run(
                        ["openssl", "ts", "-reply", "-config", str(config), "-queryfile",
                         str(query), "-out", str(reply)], capture_output=True,
                        env=past(days_ago) if days_ago else None)
                    data = reply.read_bytes() if done.returncode == 0 else b""
                if not data:
                    self.send_response(500)
                    self.end_headers()
                    return
                answered.append(len(data))
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/", answered
        finally:
            server.shutdown()
            server.server_close()
