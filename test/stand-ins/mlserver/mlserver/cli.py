"""`mlserver start <folder>`: load the model described by <folder>/model-settings.json and serve the
Open Inference Protocol (V2) over HTTP, like the real MLServer does (routes, status codes, exit on a
model that cannot be imported or loaded)."""
import asyncio
import importlib
import json
import logging
import os
import signal
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .settings import ModelSettings
from .types import InferenceRequest, InferenceResponse

log = logging.getLogger("mlserver")


class ModelHost:
    def __init__(self, settings):
        self.settings = settings
        self.model = None
        self.ready = False
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="model-loop", daemon=True).start()

    def run(self, coro, timeout=None):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def load(self):
        module_name, _, class_name = self.settings.implementation.rpartition(".")
        if not module_name:
            raise ImportError(f"implementation '{self.settings.implementation}' must be 'module.Class'")
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name, None)
        if cls is None:
            raise ImportError(f"module '{module_name}' has no class '{class_name}'")
        self.model = cls(self.settings)
        self.run(self.model.load())
        self.ready = bool(getattr(self.model, "ready", True))
        if not self.ready:
            raise RuntimeError(f"model {self.settings.name} reported ready=False after load()")


def make_handler(host):
    name = host.settings.name

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            sys.stdout.write(f"INFO:     {self.client_address[0]}:{self.client_address[1]} - \"{self.requestline}\" {args[1] if len(args) > 1 else ''}\n")
            sys.stdout.flush()

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def model_path(self):
            parts = self.path.split("?")[0].strip("/").split("/")
            # v2/models/<name>[/versions/<v>]/<verb>
            if len(parts) >= 3 and parts[0] == "v2" and parts[1] == "models":
                if parts[2] != name:
                    return None, None
                rest = parts[3:]
                if len(rest) >= 2 and rest[0] == "versions":
                    rest = rest[2:]
                return parts[2], (rest[0] if rest else "")
            return None, None

        def do_GET(self):
            path = self.path.split("?")[0].rstrip("/")
            if path == "/v2/health/live":
                return self.reply(200, {})
            if path == "/v2/health/ready":
                return self.reply(200 if host.ready else 400, {} if host.ready else {"error": "models are not ready"})
            if path == "/v2":
                return self.reply(200, {"name": "mlserver", "version": "1.5.0-standin", "extensions": []})
            model, verb = self.model_path()
            if model is None:
                return self.reply(404, {"error": f"Model {self.path} not found"})
            if verb == "ready":
                return self.reply(200 if host.ready else 400, {} if host.ready else {"error": f"Model {name} is not ready"})
            if verb == "":
                return self.reply(200, {"name": name, "platform": "", "versions": [], "inputs": [], "outputs": []})
            return self.reply(404, {"error": "Not Found"})

        def do_POST(self):
            model, verb = self.model_path()
            if model is None or verb != "infer":
                return self.reply(404, {"error": f"Model {self.path} not found"})
            if not host.ready:
                return self.reply(400, {"error": f"Model {name} is not ready"})
            try:
                length = int(self.headers.get("Content-Length") or 0)
                request = InferenceRequest.from_dict(json.loads(self.rfile.read(length)))
            except Exception as exc:  # malformed request: MLServer answers 422
                return self.reply(422, {"error": f"invalid inference request: {exc}"})
            try:
                response = host.run(host.model.predict(request))
                if not isinstance(response, InferenceResponse):
                    raise TypeError(f"predict() returned {type(response).__name__}, expected InferenceResponse")
                return self.reply(200, response.to_dict())
            except Exception as exc:
                log.error("predict failed:\n%s", traceback.format_exc())
                return self.reply(400, {"error": f"{type(exc).__name__}: {exc}"})

    return Handler


def start(folder):
    settings_file = os.path.join(folder, "model-settings.json")
    if not os.path.isfile(settings_file):
        log.error("no model-settings.json in %s", folder)
        return 1
    settings = ModelSettings.from_file(settings_file)
    sys.path.insert(0, os.path.abspath(folder))
    host = ModelHost(settings)
    port = int(os.environ.get("MLSERVER_HTTP_PORT", "8080"))
    server = ThreadingHTTPServer((os.environ.get("MLSERVER_HOST", "0.0.0.0"), port), make_handler(host))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    log.info("HTTP server running on http://0.0.0.0:%d", port)
    try:
        host.load()
    except BaseException:
        log.error("Couldn't load model %s:\n%s", settings.name, traceback.format_exc())
        server.shutdown()
        return 1
    log.info("Loaded model '%s' succesfully.", settings.name)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    log.info("Shutting down")
    server.shutdown()
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    fmt = logging.Formatter("%(asctime)s [%(name)s] %(levelname)s - %(message)s")
    out = logging.StreamHandler(sys.stdout)
    out.addFilter(lambda r: r.levelno < logging.WARNING)
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(logging.WARNING)
    for h in (out, err):
        h.setFormatter(fmt)
        logging.root.addHandler(h)
    logging.root.setLevel(logging.INFO)
    if len(argv) != 2 or argv[0] != "start":
        sys.stderr.write("usage: mlserver start <folder>\n")
        return 2
    return start(argv[1])


if __name__ == "__main__":
    sys.exit(main())
