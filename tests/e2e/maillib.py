"""A real SMTP server for the e-mail tests: aiosmtpd (Debian's
python3-aiosmtpd) on 127.0.0.1 in a thread of the test process.

    SmtpServer(dir, tls=True, user=None, password=None, delay=0)
        tls      STARTTLS offered and required before MAIL, on a
                 self-signed certificate made here with openssl
                 (.ca_file is what the worker must trust)
        user     AUTH required (after STARTTLS) with this user and password
        delay    seconds it takes to answer a message's data (.receiving
                 is set while it waits)
        .port    where it listens
        .messages()   every message taken, in order, as Received
        .wait(n, timeout)   until at least n messages came
        .stop()

A port nothing listens on, for "the server is down", is e2elib.free_port().
"""
import asyncio
import email
import email.policy
import ssl
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from e2elib import free_port, make_cert


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list
    data: bytes        # the message as sent (CRLF line ends)
    tls: bool          # it came over a connection upgraded with STARTTLS
    login: str         # the user it authenticated as, "" if none
    ehlo: str          # the name the client gave in EHLO

    def parsed(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)


class _Recorder:
    def __init__(self, delay):
        self.lock = threading.Lock()
        self.messages = []
        self.delay = delay
        self.receiving = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.receiving.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else ""
        with self.lock:
            self.messages.append(Received(
                envelope.mail_from, list(envelope.rcpt_tos),
                bytes(envelope.original_content or envelope.content),
                session.ssl is not None, login, session.host_name))
        return "250 OK: queued"


class SmtpServer:
    def __init__(self, dir, tls=True, user=None, password=None, delay=0):
        self.port = free_port()
        self.ca_file = None
        self._rec = _Recorder(delay)
        self.receiving = self._rec.receiving
        kw = {}
        if tls:
            self.ca_file = dir / "smtp.crt"
            key = dir / "smtp.key"
            make_cert(self.ca_file, key)
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(self.ca_file, key)
            kw.update(tls_context=ctx, require_starttls=True)
        if user is not None:
            def check(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and \
                    auth_data.login == user.encode() and \
                    auth_data.password == password.encode()
                return AuthResult(success=ok, auth_data=auth_data)
            kw.update(authenticator=check, auth_required=True,
                      auth_require_tls=tls)
        self.controller = Controller(self._rec, hostname="127.0.0.1",
                                     port=self.port, **kw)
        self.controller.start()

    def messages(self):
        with self._rec.lock:
            return list(self._rec.messages)

    def wait(self, n, timeout=60, what=""):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.messages()
            if len(got) >= n:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages())} messages, not {n}, "
                             f"within {timeout} s {what}")

    def stop(self):
        self.controller.stop()
