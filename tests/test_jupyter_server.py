"""The notebooks work the interactive way too: a real Jupyter server (loopback only, token
auth, random free port, root = notebooks/) lists them over the REST API, starts the project
kernel, and runs a notebook's parameters cell plus a call into the package over the kernel's
websocket channel. Every wait is bounded; the server is always shut down.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from analysis import config
from analysis.publish import kernel

requests = pytest.importorskip("requests")
websocket = pytest.importorskip("websocket")  # websocket-client

pytestmark = pytest.mark.slow
HOST = "127.0.0.1"
JUPYTER = Path(sys.executable).with_name("jupyter")
START_TIMEOUT = 60
REPLY_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A running ``jupyter server`` on loopback; yields (base_url, token, headers)."""
    if not JUPYTER.exists():
        pytest.skip(f"{JUPYTER} not found")
    kname = kernel.ensure_kernel()
    home = tmp_path_factory.mktemp("jupyter-home")
    token = secrets.token_hex(24)
    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "IPYTHONDIR": str(home / "ipython"), "JUPYTER_PLATFORM_DIRS": "1"}
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(
        [str(JUPYTER), "server", "--no-browser", "--allow-root", f"--ServerApp.ip={HOST}",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--ServerApp.root_dir={config.notebooks_dir()}",
         f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(home))
    base = f"http://{HOST}:{port}"
    headers = {"Authorization": f"token {token}"}
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter server exited: {(home / 'server.log').read_text()[-2000:]}")
            try:
                if requests.get(f"{base}/api/status", headers=headers, timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail("jupyter server did not answer within "
                            f"{START_TIMEOUT} s: {(home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield base, token, headers, kname
    finally:
        try:
            requests.post(f"{base}/api/shutdown", headers=headers, timeout=5)
            proc.wait(timeout=15)
        except (requests.RequestException, subprocess.TimeoutExpired):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        log.close()


def test_token_is_required(server):
    base, _token, _headers, _k = server
    assert requests.get(f"{base}/api/contents", timeout=5).status_code == 403


def test_lists_the_notebooks(server):
    base, _token, headers, _k = server
    r = requests.get(f"{base}/api/contents", headers=headers, timeout=10)
    r.raise_for_status()
    names = {item["name"] for item in r.json()["content"] if item["type"] == "notebook"}
    expected = {p.name for p in config.notebooks_dir().glob("*.ipynb")}
    assert expected and expected <= names
    r = requests.get(f"{base}/api/contents/1.0-budget-cuts.ipynb", headers=headers, timeout=10)
    nb = r.json()["content"]
    assert any("parameters" in c["metadata"].get("tags", []) for c in nb["cells"])


def _execute(ws, code: str) -> dict:
    """Send one execute_request over the channels websocket; collect output until the reply."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
    out = {"stdout": "", "reply": None, "error": None}
    deadline = time.monotonic() + REPLY_TIMEOUT
    while out["reply"] is None:
        ws.settimeout(max(deadline - time.monotonic(), 0.1))
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream" and msg["content"]["name"] == "stdout":
            out["stdout"] += msg["content"]["text"]
        elif kind == "error":
            out["error"] = msg["content"]
        elif kind == "execute_reply":
            out["reply"] = msg["content"]
        if time.monotonic() > deadline:
            raise TimeoutError("no execute_reply in time")
    return out


def test_kernel_runs_notebook_code_over_websocket(server):
    base, token, headers, kname = server
    r = requests.post(f"{base}/api/kernels", headers=headers, json={"name": kname}, timeout=30)
    r.raise_for_status()
    kid = r.json()["id"]
    try:
        ws = websocket.create_connection(
            f"ws://{HOST}:{base.rsplit(':', 1)[1]}/api/kernels/{kid}/channels?token={token}",
            timeout=REPLY_TIMEOUT)
        try:
            nb = nbformat.read(config.notebooks_dir() / "0.0-data-overview.ipynb", as_version=4)
            params = next(c.source for c in nb.cells
                          if "parameters" in c.metadata.get("tags", []))
            res = _execute(ws, params + "\nimport sys\nfrom analysis import config\n"
                           "from analysis.publish import explore\n"
                           "print(sys.executable, lang, years, config.project_root())")
            assert res["reply"]["status"] == "ok", res["error"]
            assert sys.executable.split("/")[-1] in res["stdout"]
            assert "id [2016, 2024]" in res["stdout"]
            assert str(config.project_root()) in res["stdout"]
            bad = _execute(ws, "explore.validate_params(lang='fr')")
            assert bad["reply"]["status"] == "error"
            assert bad["error"]["ename"] == "ParameterError"
            assert "allowed: id, en" in bad["error"]["evalue"]
        finally:
            ws.close()
    finally:
        requests.delete(f"{base}/api/kernels/{kid}", headers=headers, timeout=30)
    assert kid not in {k["id"] for k in requests.get(f"{base}/api/kernels", headers=headers,
                                                     timeout=10).json()}
