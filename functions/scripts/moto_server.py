"""moto's DynamoDB server for the classmates-api tests, with requests applied one at a time.

`moto_server` answers each connection in its own thread and its in-memory backend is not
thread-safe: under concurrent TransactWriteItems it fails with "dictionary changed size during
iteration" and can interleave two transactions' condition checks and writes, which the real
DynamoDB never does. This runs the same moto application behind a lock, so every request is
applied atomically, as DynamoDB applies each request, while connections stay concurrent.

Usage: python3 moto_server.py [-H HOST] [-p PORT]
"""

import argparse
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def serialized(app):
    lock = threading.Lock()

    def application(environ, start_response):
        with lock:
            # Consume the whole response under the lock: moto builds it from shared state.
            return [b"".join(app(environ, start_response))]

    return application


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=8000)
    args = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, serialized(app), threaded=True)


if __name__ == "__main__":
    main()
