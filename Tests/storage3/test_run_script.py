"""Scripts/run.sh, the README's first command, run in a copy of the tree where the build and the installs are
stubs and the "server" prints what it was started with: the hint it prints names the address it was given."""
import os
import shutil
import stat
import subprocess

import pytest

from conftest import ROOT


def stub(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write("#!/usr/bin/env bash\n" + text + "\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)


@pytest.fixture()
def tree(tmp_path):
    shutil.copy(os.path.join(ROOT, "Scripts", "run.sh"), tmp_path / "run.sh")
    os.makedirs(tmp_path / "Scripts")
    shutil.move(tmp_path / "run.sh", tmp_path / "Scripts" / "run.sh")
    stub(str(tmp_path / "Scripts" / "install-system-packages.sh"), "exit 0")
    stub(str(tmp_path / "bin" / "swift"), "exit 0")
    stub(str(tmp_path / ".build" / "release" / "voicevault"), 'echo "serve:$*"')
    return tmp_path


def run(tree, *arguments, **environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEVAULT_")}
    env["PATH"] = f"{tree / 'bin'}:{env['PATH']}"
    env.update(environment)
    return subprocess.run(["bash", str(tree / "Scripts" / "run.sh"), *arguments], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("arguments, environment, address", [
    ((), {}, "http://127.0.0.1:8080/api/voice"),
    (("--port", "9000"), {}, "http://127.0.0.1:9000/api/voice"),
    (("--port=9001",), {}, "http://127.0.0.1:9001/api/voice"),
    (("--host", "0.0.0.0", "--port", "9002"), {}, "http://127.0.0.1:9002/api/voice"),
    ((), {"VOICEVAULT_PORT": "9003"}, "http://127.0.0.1:9003/api/voice"),
])
def test_the_hint_names_the_address_the_server_was_given(tree, arguments, environment, address):
    finished = run(tree, *arguments, **environment)
    assert finished.returncode == 0, finished.stderr
    assert f"{address}" in finished.stderr, finished.stderr
    # Everything given goes on to `voicevault serve`.
    assert finished.stdout.split() == ["serve:serve", "--data-dir", "./data", *arguments], finished.stdout


def test_with_keys_set_there_is_no_development_key_and_no_hint(tree):
    finished = run(tree, VOICEVAULT_API_KEYS="real-key")
    assert "dev-key" not in finished.stderr
