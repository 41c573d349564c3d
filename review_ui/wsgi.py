"""WSGI entry point of the adscan web app."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "review_ui.settings")
application = get_wsgi_application()
