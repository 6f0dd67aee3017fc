import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cspbilling.settings")
django.setup(set_prefix=False)

from cspbilling.api.handler import api_or_pages  # noqa: E402 (needs the apps loaded)

# REST API requests through a lean middleware chain, pages through all of it.
application = api_or_pages()
