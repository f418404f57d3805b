"""A stand-in OpenAI-compatible completions server with known answers and injectable faults, for SDSCM's tests.

Python standard library only. Tokens are words with their leading whitespace (regex \\s*\\S+). The log-probability
of token t after text p is -(1 + (len(p) + 3 * len(t)) % 7) / 4: deterministic, so a test can compute every score
by hand. The next-token distribution after any text lists the same four tokens (" yes", " no", " maybe", ".")
with log-probabilities -(1 + (len(p) + i) % 5) / 2 for the i-th.

    python3 stub_server.py [--port P] [--fail-first N] [--die-after N] [--wrong-tokens] [--single-prompt]
                           [--require-key KEY] [--delay SECONDS]

Prints "port P" once listening.
"""
import argparse
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NEXT = [" yes", " no", " maybe", "."]


def logprob(prefix, token):
    return -(1 + (len(prefix) + 3 * len(token)) % 7) / 4


def next_logprobs(prefix):
    return {token: -(1 + (len(prefix) + i) % 5) / 2 for i, token in enumerate(NEXT)}


def choice(prompt, echo, logprobs, wrong):
    tokens = re.findall(r"\s*\S+", prompt) if echo else []
    offsets, values, top = [], [], []
    position = 0
    for index, token in enumerate(tokens):
        offsets.append(position)
        values.append(None if index == 0 else logprob(prompt[:position], token))
        top.append(None if index == 0 else {token: values[-1]})
        position += len(token)
    generated = max(next_logprobs(prompt).items(), key=lambda item: item[1])[0]
    tokens.append(generated)
    offsets.append(len(prompt))
    values.append(next_logprobs(prompt)[generated])
    top.append(dict(sorted(next_logprobs(prompt).items(), key=lambda item: -item[1])[:logprobs]))
    if wrong:
        values = values[:-2]
    return {"text": (prompt if echo else "") + generated, "logprobs": {
        "tokens": tokens, "token_logprobs": values, "text_offset": offsets, "top_logprobs": top}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def admit(self):
        options = self.server.options
        if options.require_key and self.headers.get("Authorization") != "Bearer " + options.require_key:
            self.reply(401, {"error": {"message": "invalid api key"}})
            return False
        with self.server.lock:
            self.server.count += 1
            count = self.server.count
        if options.die_after and count > options.die_after:
            os._exit(3)
        if count <= options.fail_first:
            self.reply(500, {"error": {"message": "injected failure %d" % count}})
            return False
        if options.delay:
            time.sleep(options.delay)
        return True

    def do_GET(self):
        if not self.admit():
            return
        if self.path.endswith("/models"):
            self.reply(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
        else:
            self.reply(404, {"error": {"message": "no such path"}})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if not self.admit():
            return
        prompts = body.get("prompt", "")
        if isinstance(prompts, str):
            prompts = [prompts]
        if self.server.options.single_prompt and len(prompts) > 1:
            self.reply(500, {"error": {"message": "only one prompt per request"}})
            return
        choices = []
        for index, prompt in enumerate(prompts):
            entry = choice(prompt, body.get("echo", False), body.get("logprobs") or 1, self.server.options.wrong_tokens)
            entry["index"] = index
            choices.append(entry)
        tokens = sum(len(re.findall(r"\s*\S+", prompt)) for prompt in prompts)
        self.reply(200, {"object": "text_completion", "model": "stub", "choices": choices,
                         "usage": {"prompt_tokens": tokens, "completion_tokens": len(prompts)}})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--die-after", type=int, default=0)
    parser.add_argument("--wrong-tokens", action="store_true")
    parser.add_argument("--single-prompt", action="store_true")
    parser.add_argument("--require-key", default="")
    parser.add_argument("--delay", type=float, default=0)
    options = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    server.options, server.count, server.lock = options, 0, threading.Lock()
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
