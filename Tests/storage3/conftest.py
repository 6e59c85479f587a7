"""A live voicevault for the storage3 suite: a real process on a real socket with a fresh data directory."""
import os
import re
import shutil
import subprocess
import tempfile
import time

import httpx
import pytest
from storage3 import SyncStorageClient

KEY = "storage-suite-key"
ADMIN = "storage-suite-admin-token"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def binary(name: str = "voicevault") -> str:
    directory = os.environ.get("VOICEVAULT_BIN_DIR") or os.path.join(ROOT, ".build", "debug")
    return os.path.join(directory, name)


class FakeElevenLabs:
    """The fake ElevenLabs (Sources/FakeElevenLabs) on its own port: what voicevault generates with in the SDK suites."""

    def __init__(self, *arguments: str) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="fake-elevenlabs-", suffix=".log", mode="w+", delete=False)
        self.process = subprocess.Popen([binary("fake-elevenlabs"), "--port", "0", *arguments],
                                        stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        self.port = 0
        while not self.port:
            if time.time() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"fake-elevenlabs did not start: {open(self.log.name).read()}")
            with open(self.log.name) as seen:
                match = re.search(r"port=(\d+)", seen.read())
            if match:
                self.port = int(match.group(1))
            else:
                time.sleep(0.05)
        self.base = f"http://127.0.0.1:{self.port}"

    def calls(self) -> int:
        return httpx.get(f"{self.base}/_fake/calls").json()["total"]

    def script(self, voice: str, actions: list) -> None:
        httpx.post(f"{self.base}/_fake/script", json={"voiceId": voice, "actions": actions}).raise_for_status()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=15)
        os.unlink(self.log.name)


def media_duration(audio_locator, page) -> float:
    """The duration an <audio> element reports once it has read the file's metadata (polled: NaN until then)."""
    for _ in range(100):
        duration = audio_locator.evaluate("a => a.duration") or 0.0
        if duration == duration and duration > 0:
            return duration
        page.wait_for_timeout(100)
    raise AssertionError("the browser never read the audio's duration")


class Server:
    def __init__(self, directory: str | None = None, port: int = 0, **settings: str) -> None:
        """A fresh data directory, or `directory` to restart on an existing one (and `port` to keep its address)."""
        self.directory = directory or tempfile.mkdtemp(prefix="vv-storage3-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEVAULT_") and k != "ELEVENLABS_API_KEY"}
        env.update({"VOICEVAULT_API_KEYS": KEY, "VOICEVAULT_ADMIN_TOKEN": ADMIN, "VOICEVAULT_MAX_UPLOAD_BYTES": str(8 * 1024 * 1024)})
        env.update(settings)
        self.log = open(os.path.join(self.directory, "server.log"), "w+")
        self.process = subprocess.Popen(
            [binary(), "serve", "--port", str(port), "--data-dir", os.path.join(self.directory, "data")],
            env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        self.port = self._wait_for_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def _wait_for_port(self) -> int:
        deadline = time.time() + 30
        while time.time() < deadline:
            self.log.flush()
            with open(self.log.name) as seen:
                for line in seen.read().splitlines():
                    match = re.search(r"port=(\d+)", line)
                    if match and line.endswith("listening"):
                        return int(match.group(1))
            if self.process.poll() is not None:
                raise RuntimeError(f"voicevault exited with {self.process.returncode}: {open(self.log.name).read()}")
            time.sleep(0.05)
        raise RuntimeError("voicevault did not start listening within 30 s")

    def peak_resident_kib(self) -> int:
        """The server's peak resident memory so far (VmHWM), from the kernel."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmHWM in /proc status")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL, as a crash: the data directory stays for a restart."""
        self.process.kill()
        self.process.wait(timeout=15)
        self.log.close()


@pytest.fixture(scope="module")
def fake_elevenlabs():
    fake = FakeElevenLabs()
    yield fake
    fake.stop()


def server_over(fake: FakeElevenLabs) -> "Server":
    """A voicevault that generates with `fake` (the SDK suites' server), retrying quickly."""
    return Server(ELEVENLABS_API_KEY="fake-key", ELEVENLABS_BASE_URL=fake.base,
                  VOICEVAULT_UPSTREAM_RETRY_BASE_MS="10", VOICEVAULT_UPSTREAM_MAX_ATTEMPTS="2")


@pytest.fixture(scope="module")
def upstream_server(fake_elevenlabs):
    running = server_over(fake_elevenlabs)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def server():
    running = Server()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def storage(server) -> SyncStorageClient:
    """The official client, configured the way a Supabase app configures it, pointed at voicevault."""
    return SyncStorageClient(f"{server.base}/storage/v1/", {"apikey": KEY, "Authorization": f"Bearer {KEY}"})


@pytest.fixture(scope="session")
def anonymous(server) -> SyncStorageClient:
    return SyncStorageClient(f"{server.base}/storage/v1/", {})


@pytest.fixture(scope="session")
def http(server):
    with httpx.Client(base_url=f"{server.base}/storage/v1", timeout=20) as client:
        yield client


AUTH = {"apikey": KEY, "Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="session")
def generate(server):
    """Generates speech through the voice API (offline espeak-ng synthesizer: no ELEVENLABS_API_KEY here)."""
    def speak(text: str, book: str) -> dict:
        answer = httpx.post(f"{server.base}/api/voice", headers={"Authorization": f"Bearer {KEY}"}, timeout=60,
                            json={"text": text, "voiceId": "21m00Tcm4TlvDq8ikWAM", "bookId": book})
        assert answer.status_code == 200, answer.text
        return answer.json()
    return speak


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through playwright, headless, allowed to play audio without a gesture (the pages' tests
    press play from scripts)."""
    from playwright.sync_api import sync_playwright
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is not installed (Scripts/test.sh installs it)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        yield launched
        launched.close()
