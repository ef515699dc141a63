"""The WSGI entry point: ``python wsgi.py`` serves the app the factory builds."""

import os

from shopapp import create_app

app = create_app()

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]), threaded=True)
