"""Real servers for issue 18's tests: a test CA (openssl), an SMTP server (aiosmtpd, STARTTLS + AUTH) and an
OpenLDAP ``slapd`` (Debian's, run as the ``openldap`` user on 127.0.0.1 with LDAPS and StartTLS).

Fixtures (registered in ``tests/conftest.py``):

* ``test_ca`` (session) - CA + a server certificate for 127.0.0.1/localhost, made with the ``openssl`` CLI.
* ``smtp_server`` - aiosmtpd on a free port: STARTTLS required before AUTH, AUTH (LOGIN/PLAIN) required,
  every accepted message kept in ``smtp_server.messages`` (parsed); ``smtp_server.fail_next(n, code)``
  answers the next ``n`` DATA commands with a temporary (4xx) or permanent (5xx) error.
* ``mail_settings`` - the ``FREIGABE_SMTP_*`` settings pointing at it (CA file of the test CA).
* ``slapd`` (session) - slapd with a ``dc=stadt,dc=example`` tree: people, groups (groupOfNames), a service
  account; ``slapd.add_user(uid, groups=..., password=...)``, ``slapd.move(uid, from_group, to_group)``,
  ``slapd.disable(uid)`` (ppolicy's ``pwdAccountLockedTime``) change it through ldap3 as the directory admin.
"""
from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SMTP_USER, SMTP_PASSWORD = "freigabe-mailer", "smtp-pass-9x7Qw2"
BASE = "dc=stadt,dc=example"
ROOT_DN, ROOT_PW = f"cn=admin,{BASE}", "root-secret-5Tz"
SVC_DN, SVC_PW = f"cn=svc-freigabe,ou=services,{BASE}", "svc-secret-8Hq"
GROUPS = ("freigabe-dsb", "freigabe-statistik", "freigabe-admin", "sozialplanung", "jugendhilfe")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- test CA ------------------------------------------------------------------------------------------------

@dataclass
class TestCA:
    dir: Path
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_ca(directory: Path) -> TestCA:
    directory.mkdir(parents=True, exist_ok=True)

    def ossl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ossl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "3", "-subj",
         "/CN=Freigabe Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    ossl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (directory / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                                       "keyUsage=critical,digitalSignature,keyEncipherment\n"
                                       "extendedKeyUsage=serverAuth\n")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "server.pem", "-days", "3", "-extfile", "ext.cnf")
    for name in ("ca.pem", "server.pem", "server.key"):
        os.chmod(directory / name, 0o644)
    return TestCA(directory, directory / "ca.pem", directory / "server.pem", directory / "server.key")


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory) -> TestCA:
    return make_ca(tmp_path_factory.mktemp("test-ca"))


# --- SMTP ---------------------------------------------------------------------------------------------------

@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage
    tls: bool
    authenticated: bool

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_body(("plain",)).get_content()


class SmtpServer:
    def __init__(self, ca: TestCA):
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.messages: list[Received] = []
        self.auth_attempts: list[tuple[str, bool]] = []
        self._fail: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):
                with server._lock:
                    if server._fail:
                        return server._fail.pop(0)
                    msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                                   policy=email.policy.default)
                    server.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg,
                                                    tls=session.ssl is not None,
                                                    authenticated=bool(session.authenticated)))
                return "250 Message accepted for delivery"

        def authenticator(smtp, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_USER.encode()
                  and auth_data.password == SMTP_PASSWORD.encode())
            server.auth_attempts.append((mechanism, ok))
            return AuthResult(success=ok, handled=False)

        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(ca.cert_file, ca.key_file)
        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, tls_context=tls,
                                     require_starttls=True, auth_required=True, auth_require_tls=True,
                                     authenticator=authenticator, ready_timeout=10)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def fail_next(self, n: int = 1, reply: str = "451 4.3.0 Try again later") -> None:
        with self._lock:
            self._fail.extend([reply] * n)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()


@pytest.fixture
def smtp_server(test_ca):
    server = SmtpServer(test_ca).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_settings(smtp_server, test_ca) -> dict:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port, "SMTP_TLS": "starttls",
            "SMTP_CA_FILE": str(test_ca.ca_file), "SMTP_USERNAME": SMTP_USER, "SMTP_PASSWORD": SMTP_PASSWORD,
            "SMTP_TIMEOUT": 10.0, "MAIL_FROM": "freigabe@stadt.example", "APP_URL": "https://freigabe.stadt.example"}


# --- OpenLDAP -----------------------------------------------------------------------------------------------

def ssha(password: str) -> str:
    salt = os.urandom(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()


SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
database mdb
maxsize 67108864
suffix "{base}"
rootdn "{root}"
rootpw {rootpw}
directory {dir}/db
overlay ppolicy
access to attrs=userPassword
    by anonymous auth
    by self =w
    by * none
access to *
    by dn.exact="{svc}" read
    by self read
    by * none
"""


def _ldif(entries: list[dict]) -> str:
    out = []
    for e in entries:
        out.append(f"dn: {e['dn']}")
        for k, vs in e.items():
            if k == "dn":
                continue
            for v in (vs if isinstance(vs, (list, tuple)) else [vs]):
                out.append(f"{k}: {v}")
        out.append("")
    return "\n".join(out) + "\n"


class Slapd:
    def __init__(self, ca: TestCA):
        self.tmp = Path(tempfile.mkdtemp(prefix="freigabe-slapd-"))
        self.ca = ca
        self.ldap_port, self.ldaps_port = free_port(), free_port()
        self.proc: subprocess.Popen | None = None
        self._n = 0

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    @property
    def ldap_url(self) -> str:
        return f"ldap://127.0.0.1:{self.ldap_port}"

    def _as_openldap(self, *cmd, **kw):
        prefix = ["runuser", "-u", "openldap", "--"] if os.geteuid() == 0 else []
        return subprocess.run(prefix + [str(c) for c in cmd], check=True, capture_output=True, text=True, **kw)

    def start(self):
        if not Path("/usr/sbin/slapd").exists():
            raise RuntimeError("slapd not installed: run scripts/install-system-deps.sh")
        (self.tmp / "db").mkdir()
        tls = self.tmp / "tls"
        tls.mkdir()
        for f in (self.ca.ca_file, self.ca.cert_file, self.ca.key_file):
            shutil.copy(f, tls / f.name)
        conf = self.tmp / "slapd.conf"
        conf.write_text(SLAPD_CONF.format(dir=self.tmp, ca=tls / "ca.pem", cert=tls / "server.pem",
                                          key=tls / "server.key", base=BASE, root=ROOT_DN, rootpw=ROOT_PW,
                                          svc=SVC_DN))
        base = [{"dn": BASE, "objectClass": ["top", "dcObject", "organization"], "dc": "stadt", "o": "Stadt"},
                {"dn": f"ou=people,{BASE}", "objectClass": "organizationalUnit", "ou": "people"},
                {"dn": f"ou=groups,{BASE}", "objectClass": "organizationalUnit", "ou": "groups"},
                {"dn": f"ou=services,{BASE}", "objectClass": "organizationalUnit", "ou": "services"},
                {"dn": SVC_DN, "objectClass": ["person", "simpleSecurityObject"], "cn": "svc-freigabe",
                 "sn": "Dienstkonto", "userPassword": ssha(SVC_PW)}]
        # groupOfNames needs a member: the service account keeps every group non-empty
        base += [{"dn": f"cn={g},ou=groups,{BASE}", "objectClass": "groupOfNames", "cn": g, "member": SVC_DN}
                 for g in GROUPS]
        (self.tmp / "base.ldif").write_text(_ldif(base))
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "openldap:openldap", str(self.tmp)], check=True)
        os.chmod(self.tmp, 0o750)
        self._as_openldap("/usr/sbin/slapadd", "-f", conf, "-l", self.tmp / "base.ldif")
        prefix = ["runuser", "-u", "openldap", "--"] if os.geteuid() == 0 else []
        self.proc = subprocess.Popen(prefix + ["/usr/sbin/slapd", "-f", str(conf), "-h",
                                               f"{self.ldap_url}/ {self.ldaps_url}/", "-d", "0"],
                                     stdout=subprocess.DEVNULL, stderr=open(self.tmp / "slapd.log", "wb"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.ldaps_port), timeout=0.5):
                    break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("slapd exited: " + (self.tmp / "slapd.log").read_text()[-2000:])
                time.sleep(0.1)
        else:
            raise RuntimeError("slapd did not start")
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- changing the directory (as its admin) ---
    def admin(self):
        import ssl

        from ldap3 import Connection, Server, Tls

        tls = Tls(ca_certs_file=str(self.ca.ca_file), validate=ssl.CERT_REQUIRED)
        return Connection(Server(self.ldaps_url, use_ssl=True, tls=tls), ROOT_DN, ROOT_PW, auto_bind=True)

    def group_dn(self, group: str) -> str:
        return f"cn={group},ou=groups,{BASE}"

    def user_dn(self, uid: str) -> str:
        return f"uid={uid},ou=people,{BASE}"

    def unique(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}x{os.getpid() % 1000}"

    def add_user(self, uid: str, *, groups=(), password: str = "Directory-Pass-2026", name: str | None = None,
                 mail: str | None = None) -> str:
        from ldap3 import MODIFY_ADD

        dn = self.user_dn(uid)
        with self.admin() as conn:
            ok = conn.add(dn, ["inetOrgPerson"], {"uid": uid, "cn": name or uid.title(), "sn": uid,
                                                  "displayName": name or uid.title(),
                                                  "mail": mail or f"{uid}@stadt.example",
                                                  "userPassword": ssha(password)})
            assert ok, conn.result
            for g in groups:
                assert conn.modify(self.group_dn(g), {"member": [(MODIFY_ADD, [dn])]}), conn.result
        return dn

    def move(self, uid: str, from_group: str | None, to_group: str | None) -> None:
        from ldap3 import MODIFY_ADD, MODIFY_DELETE

        dn = self.user_dn(uid)
        with self.admin() as conn:
            if from_group:
                assert conn.modify(self.group_dn(from_group), {"member": [(MODIFY_DELETE, [dn])]}), conn.result
            if to_group:
                assert conn.modify(self.group_dn(to_group), {"member": [(MODIFY_ADD, [dn])]}), conn.result

    def disable(self, uid: str) -> None:
        """Lock the account the OpenLDAP way (ppolicy): the directory refuses its binds from now on."""
        from ldap3 import MODIFY_REPLACE

        with self.admin() as conn:
            assert conn.modify(self.user_dn(uid), {"pwdAccountLockedTime": [(MODIFY_REPLACE, ["000001010000Z"])]}), \
                conn.result

    def delete(self, uid: str) -> None:
        with self.admin() as conn:
            assert conn.delete(self.user_dn(uid)), conn.result


@pytest.fixture(scope="session")
def slapd(test_ca):
    server = Slapd(test_ca).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ldap_settings(slapd, test_ca) -> dict:
    """Directory settings for the test tree (LDAPS, service account, group mappings)."""
    g = slapd.group_dn
    return {
        "LDAP_URL": slapd.ldaps_url, "LDAP_STARTTLS": False, "LDAP_CA_FILE": str(test_ca.ca_file),
        "LDAP_BIND_DN": SVC_DN, "LDAP_BIND_PASSWORD": SVC_PW,
        "LDAP_USER_BASE": f"ou=people,{BASE}", "LDAP_USER_FILTER": "(&(objectClass=inetOrgPerson)(uid={username}))",
        "LDAP_ACTIVE_FILTER": "(!(pwdAccountLockedTime=*))",
        "LDAP_GROUP_BASE": f"ou=groups,{BASE}", "LDAP_GROUP_FILTER": "(&(objectClass=groupOfNames)(member={dn}))",
        "LDAP_ROLE_GROUPS": (f"admin={g('freigabe-admin')}; approver={g('freigabe-dsb')}; "
                             "submitter=freigabe-statistik"),
        "LDAP_DOWNLOAD_GROUPS": f"sozialplanung={g('sozialplanung')}; jugendhilfe=jugendhilfe",
        "LDAP_TIMEOUT": 5.0, "LDAP_SYNC_MINUTES": 60,
    }
