"""A shop's web app, built by a factory with two blueprints and request hooks."""

from flask import Flask, g, request

from shopapp import admin, catalog


def create_app():
    app = Flask(__name__)
    app.config["GREETING"] = "welcome"
    app.config["PAGE_SIZE"] = 2
    app.register_blueprint(catalog.bp, url_prefix="/catalog")
    app.register_blueprint(admin.bp, url_prefix="/admin")

    @app.before_request
    def identify():
        g.visitor = request.args.get("visitor", "guest")

    @app.route("/")
    def index():
        return {"greeting": app.config["GREETING"], "visitor": g.visitor}

    return app
