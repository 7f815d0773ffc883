"""`celery -A config` for the fault tests, with one test-only hook.

    python -m tests.fault_worker worker -l warning ...

With FAULT_RENDER_PAUSE=<seconds> in the environment, a letter's first rendering attempt (its
Letter.attempts is 1) pauses that long after rendering and before the PDF is saved, so that a test
can kill the worker while the letter is `rendering`. Later attempts run at full speed. The hook
lives here, in the test tree, so the application carries no test code.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")


def main() -> None:
    import django

    django.setup()

    from config.celery import app

    pause = float(os.environ.get("FAULT_RENDER_PAUSE") or 0)
    if pause:
        from replies import tasks
        from replies.models import Letter

        original = tasks.render_letter

        def slow_render(reply, *args, **kwargs):  # type: ignore[no-untyped-def]
            rendered = original(reply, *args, **kwargs)
            if Letter.objects.filter(reply_id=reply.pk, attempts=1).exists():
                time.sleep(pause)
            return rendered

        tasks.render_letter = slow_render  # type: ignore[assignment]
    app.start(argv=sys.argv[1:])


if __name__ == "__main__":
    main()
