"""The public page's blueprint: /ayuda, its own templates and static files."""

from flask import Blueprint

bp = Blueprint("public", __name__, url_prefix="/ayuda", template_folder="templates",
               static_folder="static", static_url_path="/static")
